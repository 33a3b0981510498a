"""Fault tests: a stamping publisher, a checker, and ingest under real failures."""
