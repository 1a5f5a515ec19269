"""Connector nmbrs_journals: Nmbrs payroll journals into the Visma.net general ledger."""
