"""Checks a decoded reading must pass before it is stored, and the meter cache they use."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.db.registry import load_meters, load_sites, retire_site, upsert_site
from core.domain import Meter, Reading, Site
from core.settings import IngestSettings

log = logging.getLogger(__name__)

#: Seconds between registry reloads triggered by unknown meters: short enough that a meter
#: added through the API is picked up quickly, long enough that a gateway spamming an
#: unknown meter does not turn every reading into a database query.
RELOAD_MIN_INTERVAL_S = 30.0
#: Upserts of one announcement before giving up on concurrent inserts by other workers.
_ANNOUNCE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a reading is refused: a low-cardinality ``kind`` (metric label) and a ``detail``."""

    kind: str
    detail: str


class MeterDirectory:
    """The registry's sites and meters, cached in memory, refreshed by announcements."""

    def __init__(self, sessions: sessionmaker[Session], monotonic: Callable[[], float] = time.monotonic) -> None:
        self._sessions = sessions
        self._monotonic = monotonic
        self._sites: dict[str, Site] = {}
        self._meters: dict[str, Meter] = {}
        self._loaded_at: float | None = None

    def reload(self) -> None:
        """Read every site and meter from the registry; raises ``SQLAlchemyError``."""
        with self._sessions() as session:
            self._sites = load_sites(session, active_only=True)
            self._meters = load_meters(session, active_only=True)
        self._loaded_at = self._monotonic()

    def announce(self, site: Site, meters: list[Meter]) -> dict[str, str]:
        """Upsert an announced site and its meters; the meters another site owns, by owner; raises ``SQLAlchemyError``."""
        if self._sites.get(site.site_id) == site and all(self._meters.get(m.meter_id) == m for m in meters):
            # Retained announcements come again on every (re)subscription: thousands of
            # sites would cost thousands of transactions for rows that are already right.
            return {}
        for attempt in range(_ANNOUNCE_ATTEMPTS):
            try:
                with self._sessions.begin() as session:
                    claimed = upsert_site(session, site, meters)
                break
            except IntegrityError:
                # Every worker of a shared group applies each announcement: another one
                # inserted the same rows between our read and our insert. Now they exist.
                if attempt == _ANNOUNCE_ATTEMPTS - 1:
                    raise
        self._sites[site.site_id] = site
        self._meters.update({m.meter_id: m for m in meters if m.meter_id not in claimed})
        return claimed

    def retire(self, site_id: str, now: int) -> bool:
        """Mark a site retired and forget it, so its readings are refused; False when it is unknown.

        Raises ``SQLAlchemyError``."""
        with self._sessions.begin() as session:
            known = retire_site(session, site_id, now)
        self._sites.pop(site_id, None)
        self._meters = {k: m for k, m in self._meters.items() if m.site_id != site_id}
        return known

    def meter(self, meter_id: str) -> Meter | None:
        """The meter, reloading the registry (rate-limited) when it is not cached."""
        meter = self._meters.get(meter_id)
        if meter is None and self._reload_allowed():
            try:
                self.reload()
            except SQLAlchemyError as exc:
                # Not fatal: the reading is refused as unknown, like without the reload.
                log.warning("cannot reload the meter registry: %s", exc)
                self._loaded_at = self._monotonic()
            meter = self._meters.get(meter_id)
        return meter

    def has_site(self, site_id: str) -> bool:
        return site_id in self._sites

    def cached(self, meter_id: str) -> Meter | None:
        """The meter if it is cached (never reloads)."""
        return self._meters.get(meter_id)

    @property
    def meters(self) -> dict[str, Meter]:
        """The cached meters by id (read-only; replaced, never changed in place, by ``reload``)."""
        return self._meters

    @property
    def site_ids(self) -> set[str]:
        return set(self._sites)

    def _reload_allowed(self) -> bool:
        return self._loaded_at is None or self._monotonic() - self._loaded_at >= RELOAD_MIN_INTERVAL_S


def check_reading(
    reading: Reading, meter: Meter | None, known_site: bool, now: float, settings: IngestSettings
) -> Problem | None:
    """The first problem that keeps ``reading`` out of the store, or None."""
    if meter is None:
        if not known_site:
            return Problem("unknown_site", f"site {reading.site_id!r} was never announced or was removed")
        return Problem("unknown_meter", f"meter {reading.meter_id!r} is not announced for site {reading.site_id!r}")
    if meter.site_id != reading.site_id:
        return Problem("wrong_site", f"meter {reading.meter_id!r} belongs to site {meter.site_id!r}, not {reading.site_id!r}")
    if reading.ts > now + settings.max_future_s:
        return Problem("future_timestamp", f"ts {reading.ts} is more than {settings.max_future_s}s ahead of {int(now)}")
    if reading.ts < now - settings.max_age_s:
        return Problem("too_old", f"ts {reading.ts} is more than {settings.max_age_s}s before {int(now)}")
    if reading.register < 0:
        return Problem("negative_register", f"register {reading.register} is negative")
    return None
