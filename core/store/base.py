"""The time-series store interface every backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from core.domain import EnergyPoint
from core.store.daily import DEFAULT_TIMEZONE, DayEnergy, SegmentEnergy

#: Measurement (InfluxDB) / table name holding energy points.
MEASUREMENT = "energy"


class StoreError(Exception):
    """Base of every store failure."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or timed out: retry later, the data is fine."""


class StoreRejected(StoreError):
    """The store refused the data itself: retrying the same write will not help."""


@runtime_checkable
class SeriesStore(Protocol):
    """Energy points keyed by ``(meter_id, ts)``; writes are idempotent.

    A meter keeps its site and category for life (InfluxDB backends key series by them).
    Credential errors and a missing database count as ``StoreUnavailable``: the data is fine.

    Time ranges are half-open ``[start, end)`` in epoch seconds.
    """

    def write(self, points: Sequence[EnergyPoint]) -> None:
        """Store points durably; the same key written twice keeps one point (last wins)."""

    def points(
        self,
        *,
        start: int,
        end: int,
        site_id: str | None = None,
        meter_id: str | None = None,
    ) -> list[EnergyPoint]:
        """Points in the range, ordered by (meter_id, ts)."""

    def energy_by_meter(self, *, site_id: str, start: int, end: int) -> dict[str, float]:
        """Sum of ``energy`` per meter of a site over the range (meters with no points omitted)."""

    def energy_by_day(self, *, start: int, end: int, site_id: str | None = None, tz: str = DEFAULT_TIMEZONE) -> list[DayEnergy]:
        """Per meter and local day of ``tz``: energy sum and reading count, in one round trip.

        Only points inside ``[start, end)`` count, so edge days may be partial. Ordered by
        (site, meter, day); days without points are omitted. Every site when ``site_id`` is None.
        """

    def grid_import_by_day(
        self, *, start: int, end: int, site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        """Per (site, local day start): sum over 15-minute intervals of max(0, consumed - generated).

        Consumed is the energy of every non-gas, non-generation point in the interval
        (``ts - ts % 900``), generated that of generation (PV) points. Days without
        electricity points are omitted.
        """

    def energy_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str] | None = None, tz: str = DEFAULT_TIMEZONE
    ) -> list[SegmentEnergy]:
        """Per meter and segment ``[bounds[i], bounds[i + 1])``: energy, readings, busiest whole local day.

        One row per (site, meter, segment) with points; every site when ``site_ids`` is None.
        Segments should start at local midnights except the first and last bound (others are
        read from raw points, slower but exact).
        """

    def grid_import_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        """``grid_import_by_day`` summed per (site, segment index)."""

    def latest(self, *, site_id: str | None = None) -> dict[str, EnergyPoint]:
        """The newest point of every meter (of one site, or all)."""

    def ping(self) -> None:
        """Return when the store answers; raise ``StoreUnavailable`` otherwise."""

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""


@runtime_checkable
class KeepsRollups(Protocol):
    """A store whose rollups someone must keep current (``api.rollup_keeper``); the others keep theirs at write time."""

    def keep_rollups(self, *, start: int, end: int) -> None:
        """Recompute the dirty and missing rollups of the sealed days in ``[start, end)``."""
