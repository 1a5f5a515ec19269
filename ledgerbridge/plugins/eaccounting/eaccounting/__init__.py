"""Visma eAccounting (eEkonomi / Spiris) API v2: the client (api.py, auth.py)
and the emulator (emulator/). The spec extract both use is openapi/components.json."""
