"""Open the configured ``SeriesStore`` backend."""

from __future__ import annotations

from pathlib import Path

from core.settings import StoreSettings
from core.store.base import SeriesStore


def open_store(settings: StoreSettings, data_dir: Path = Path("data")) -> SeriesStore:
    """The backend ``settings`` name; a relative embedded store path is under ``data_dir``."""
    if settings.backend == "embedded":
        from core.store.embedded import EmbeddedStore

        path = Path(settings.path)
        return EmbeddedStore(path if path.is_absolute() else data_dir / path)
    if settings.backend == "influx1":
        from core.store.influx_v1 import InfluxV1Store

        return InfluxV1Store(settings)
    if settings.backend == "influx2":
        from core.store.influx_v2 import InfluxV2Store

        return InfluxV2Store(settings)
    raise ValueError(f"unknown store backend {settings.backend!r}")
