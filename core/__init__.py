"""Shared kernel of kilowatch: what crosses the boundaries between the layers.

Holds domain types, settings, the MQTT wire contract, the time-series store
interface and its implementations, the relational records, and carbon factors.
It imports none of ``simulators``, ``ingest``, ``models``, ``api`` or ``kilowatch``.
"""
