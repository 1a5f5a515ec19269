"""Nmbrs (Visma Nmbrs payroll): the SOAP API client, the system tenants
connect to, the journal XML reader and the emulator."""
