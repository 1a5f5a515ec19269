"""Visma PM, which is Visma Severa: the REST API client (api.py, auth.py) and
the emulator (emulator/). The request models both use are openapi/severa.json."""
