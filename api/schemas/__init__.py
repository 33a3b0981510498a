"""HTTP payloads, one module per resource; rows live in ``core.db.tables``."""
