"""Mappings from what common gateway firmware publishes to wire format v1 (see docs/gateways.md)."""
