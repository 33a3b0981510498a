"""Time-series store: one interface (``SeriesStore``), three implementations.

Error tree, by what the caller does next::

    StoreError
    ├── StoreUnavailable   retry later (back off, spool); the data is fine
    └── StoreRejected      the data itself was refused; dead-letter it, do not retry
"""

from core.store.base import SeriesStore, StoreError, StoreRejected, StoreUnavailable
from core.store.factory import open_store

__all__ = ["SeriesStore", "StoreError", "StoreRejected", "StoreUnavailable", "open_store"]
