"""The DUELL API (api.kasseservice.no/v1): the system, a client and an emulator."""
