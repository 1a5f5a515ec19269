"""The connector's flows, one module per entity and system side."""
