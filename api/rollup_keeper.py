"""Keeps a store's carbon rollups current in the background, so no request pays for late data.

InfluxDB 1.x keeps per-site day and month documents that readers recompute when a late
point marked their day dirty, or when they were never built (a backfill, an upgrade): the
first carbon request after that could take a minute. The API process calls the store's
``keep_rollups`` over the recent past every few minutes instead. Stores without rollups
to keep (the embedded store keeps its own at write time) need nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time

from core.store.base import SeriesStore, StoreError

log = logging.getLogger(__name__)

#: Days back the keeper looks: a month's documents and the days before it.
KEEP_DAYS = 40


class RollupKeeper:
    def __init__(self, store: SeriesStore, interval_s: float) -> None:
        self.store, self.interval_s = store, interval_s
        self.runs = 0

    @property
    def needed(self) -> bool:
        return callable(getattr(self.store, "keep_rollups", None))

    def keep_once(self, now: float | None = None) -> None:
        end = int(time.time() if now is None else now)
        self.store.keep_rollups(start=end - KEEP_DAYS * 86400, end=end)  # type: ignore[attr-defined]
        self.runs += 1

    async def run(self) -> None:
        """Every ``interval_s`` (the first time after one interval, not at start-up)."""
        while True:
            await asyncio.sleep(self.interval_s)
            began = time.monotonic()
            try:
                await asyncio.to_thread(self.keep_once)
            except StoreError as exc:
                # The next round tries again; readers still recompute what they need.
                log.warning("keeping carbon rollups failed: %s", type(exc).__name__)
            else:
                log.info("carbon rollups kept in %.1f s", time.monotonic() - began)
