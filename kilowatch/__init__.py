"""The ``kilowatch`` command: the composition root that wires the layers together.

This is the only package that imports ``simulators``, ``ingest``, ``models`` and
``api`` together; the layers themselves meet only over MQTT, the store and the
database.
"""
