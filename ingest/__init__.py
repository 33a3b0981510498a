"""Ingest: meter readings from MQTT into the time-series store, acknowledged once written."""

from ingest.metrics import IngestStats
from ingest.worker import IngestWorker

__all__ = ["IngestStats", "IngestWorker"]
