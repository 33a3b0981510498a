"""Stale meters: a meter silent for several of its usual intervals raises an open finding."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from core.domain import EnergyPoint
from ingest.findings import STALE_METER, Closing, Finding

#: Usual intervals of silence before a meter is stale: one or two missed readings are
#: routine (a gateway retry, a late batch); four in a row is an outage worth showing.
DEFAULT_INTERVALS = 4
#: Interval assumed for a meter whose own is not learned yet (known only from the store
#: after a restart): a quarter of an hour is the common reporting interval of the meters.
DEFAULT_INTERVAL_S = 900


class StaleWatch:
    """Which meters have gone silent, judged against the worker's clock.

    Silence is measured twice: the meter's newest reading is older than ``intervals`` usual
    intervals, and nothing of it arrived for as long (so a backfill of old history, which
    arrives now, never counts as silence). A finding opens with ``started_at`` = the last
    reading before the silence and closes with ``ended_at`` = the first reading after it.
    """

    def __init__(self, intervals: int = DEFAULT_INTERVALS, default_interval_s: int = DEFAULT_INTERVAL_S) -> None:
        self.intervals = intervals
        self.default_interval_s = default_interval_s
        #: meter -> started_at of its open stale finding
        self._open: dict[str, int] = {}
        #: meter -> clock second its newest reading arrived
        self._arrived: dict[str, float] = {}
        self._closings: list[Closing] = []

    def adopt(self, open_findings: Mapping[str, int]) -> None:
        """Take over open findings recorded by an earlier run or another worker."""
        for meter_id, started in open_findings.items():
            self._open.setdefault(meter_id, started)

    def arrived(self, points: Iterable[EnergyPoint], now: float) -> None:
        """Points just stored (or spooled): their meters spoke at ``now``."""
        arrived, open_ = self._arrived, self._open
        for point in points:
            meter_id = point.meter_id
            arrived[meter_id] = now
            if open_:
                started = open_.get(meter_id)
                if started is not None and point.ts > started:
                    del open_[meter_id]
                    self._closings.append(Closing(meter_id, STALE_METER, started, point.ts))

    def check(
        self, now: float, newest: Iterable[tuple[str, int, int | None]], site_of: Callable[[str], str | None]
    ) -> tuple[list[Finding], list[Closing]]:
        """New stale findings, and the findings closed since the last check."""
        found: list[Finding] = []
        for meter_id, ts, interval in newest:
            if meter_id in self._open:
                continue
            usual = interval or self.default_interval_s
            limit = self.intervals * usual
            if now - ts <= limit or now - self._arrived.get(meter_id, now) <= limit:
                continue
            site_id = site_of(meter_id)
            if site_id is None:
                continue
            self._open[meter_id] = ts
            detail = {"last_reading": ts, "interval_s": usual, "intervals": self.intervals, "learned": interval is not None}
            found.append(Finding(site_id, meter_id, STALE_METER, ts, None, detail))
        closings, self._closings = self._closings, []
        return found, closings

    def known(self, meter_ids: Iterable[str], now: float) -> None:
        """Meters loaded from the store at start: count start-up as their last arrival."""
        for meter_id in meter_ids:
            self._arrived.setdefault(meter_id, now)
