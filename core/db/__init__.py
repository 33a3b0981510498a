"""Relational state: sites, meters, alerts, API keys, dead letters (SQLAlchemy 2)."""
