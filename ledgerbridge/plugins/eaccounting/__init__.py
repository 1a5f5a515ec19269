"""eaccounting: Visma PM (Visma Severa) <-> Visma eAccounting, seed 003.

Two systems, two subfolders, each with its API client (`api.py`) and its
emulator (`emulator/`):

    pm/           Visma PM = Visma Severa, REST API /rest-api/v1 (client credentials)
    eaccounting/  Visma eAccounting API v2 (authorization code, single-use refresh tokens)

The connector is connector.py (its flows in sync/); plugin.py registers it,
the two systems and the emulators.
Shared by both emulators: change stamps and seeded ids (stamps.py).
"""
