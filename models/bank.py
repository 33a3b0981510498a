"""``BaselineBank``: fitted baselines kept in memory between passes and saved as ``BaselineRecord`` rows.

A baseline is reused until the data has moved ``retrain_after_s`` past its training
window (a daily retrain by default), then refitted with its site's other stale meters
in one solve. A meter with too little history borrows the median profile of the meters
of the same category at sites of the same type, scaled by its rated power.
"""

from __future__ import annotations

import pickle
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db.tables import BaselineRecord
from core.domain import Meter, Site
from core.timebase import DAY
from models.features import FEATURES
from models.profile import ProfileBaseline

#: Version of the baseline model; a stored baseline of another version is refitted.
MODEL_VERSION = "profile-2"
#: Data time after which a baseline is refitted. Daily keeps up with seasons and schedule
#: changes; more often costs fits without changing predictions.
RETRAIN_AFTER_S = DAY
#: Similar meters needed before their median profile is lent to a new meter.
MIN_SIMILAR = 1


@dataclass(slots=True)
class StoredBaseline:
    """A meter's fitted baseline with the metadata that says whether to trust and reuse it."""

    meter_id: str
    baseline: ProfileBaseline
    window_start: int
    window_end: int
    trained_at: int
    quality: dict = field(default_factory=dict)
    #: True when borrowed from similar meters (the meter lacked history).
    prior: bool = False


class BaselineBank:
    """In-memory baselines backed by the database; one bank per detector process."""

    def __init__(
        self, sessions: sessionmaker[Session] | None = None, *, retrain_after_s: int = RETRAIN_AFTER_S, persist: bool = True
    ) -> None:
        self.sessions = sessions
        self.retrain_after_s = retrain_after_s
        self.persist = persist and sessions is not None
        self._by_meter: dict[str, StoredBaseline] = {}
        self._loaded_sites: set[str] = set()
        # (category, site type) -> {meter_id: normalised baseline}, for new meters.
        self._similar: dict[tuple[str, str], dict[str, ProfileBaseline]] = defaultdict(dict)
        # (category, site type) -> (size of _similar when computed, their normalised median).
        self._medians: dict[tuple[str, str], tuple[int, ProfileBaseline]] = {}

    def get(self, meter_id: str) -> StoredBaseline | None:
        return self._by_meter.get(meter_id)

    def load_site(self, site: Site, meters: list[Meter]) -> None:
        """Read the site's saved baselines once per process (later passes use memory)."""
        if site.site_id in self._loaded_sites or self.sessions is None:
            return
        self._loaded_sites.add(site.site_id)
        by_id = {m.meter_id: m for m in meters}
        with self.sessions() as session:
            rows = session.scalars(
                select(BaselineRecord).where(BaselineRecord.site_id == site.site_id, BaselineRecord.version == MODEL_VERSION)
            )
            for row in rows:
                meter = by_id.get(row.meter_id)
                if meter is None or row.meter_id in self._by_meter:
                    continue
                try:
                    baseline = pickle.loads(row.model)  # our own rows, trusted data only
                except Exception:  # an unreadable row is refitted, never fatal
                    continue
                stored = StoredBaseline(
                    row.meter_id,
                    baseline,
                    row.window_start,
                    row.window_end,
                    row.trained_at,
                    dict(row.quality or {}),
                    bool((row.quality or {}).get("prior")),
                )
                self._remember(site, meter, stored)

    def adopt(self, site: Site, meter_id: str, stored: StoredBaseline) -> None:
        """Take a baseline fitted elsewhere (another worker, a benchmark) without saving it."""
        self._loaded_sites.add(site.site_id)
        self._by_meter[meter_id] = stored

    def needs_fit(self, meter_id: str, data_end: int, *, has_history: bool) -> bool:
        stored = self._by_meter.get(meter_id)
        if stored is None:
            return True
        if stored.prior and has_history:
            return True
        return data_end - stored.window_end >= self.retrain_after_s

    def put(self, site: Site, fitted: list[tuple[Meter, StoredBaseline]]) -> None:
        """Keep new baselines in memory and save them (one transaction per site)."""
        for meter, stored in fitted:
            self._remember(site, meter, stored)
        if not self.persist or not fitted or self.sessions is None:  # persist: sessions were given
            return
        with self.sessions.begin() as session:
            for _, stored in fitted:
                row = session.get(BaselineRecord, stored.meter_id) or BaselineRecord(meter_id=stored.meter_id)
                row.site_id = site.site_id
                row.version = MODEL_VERSION
                row.trained_at = stored.trained_at
                row.window_start = stored.window_start
                row.window_end = stored.window_end
                row.features = list(FEATURES)
                row.quality = {**stored.quality, "prior": stored.prior}
                row.model = pickle.dumps(stored.baseline, protocol=pickle.HIGHEST_PROTOCOL)
                session.add(row)

    def lend(self, meter: Meter, stored: StoredBaseline) -> None:
        """Use a borrowed baseline until the meter's own fit has its turn (kept in memory only)."""
        self._by_meter[meter.meter_id] = stored

    def _remember(self, site: Site, meter: Meter, stored: StoredBaseline) -> None:
        self._by_meter[meter.meter_id] = stored
        if not stored.prior and meter.rated_kw > 0:
            key = (meter.category.value, site.site_type.value)
            self._similar[key][meter.meter_id] = stored.baseline.scaled(1.0 / meter.rated_kw)
            self._medians.pop(key, None)

    def prior(self, site: Site, meter: Meter, window: tuple[int, int]) -> StoredBaseline | None:
        """The median profile of similar meters scaled to ``meter``'s rating, or None when none is known."""
        key = (meter.category.value, site.site_type.value)
        pool = self._similar.get(key, {})
        if meter.rated_kw <= 0 or len(pool) - (meter.meter_id in pool) < MIN_SIMILAR:
            return None
        if meter.meter_id in pool:
            median = _median([b for mid, b in pool.items() if mid != meter.meter_id])
        else:
            # Thousands of meters may borrow from one pool in a pass: its median is kept.
            cached = self._medians.get(key)
            if cached is None or cached[0] != len(pool):
                cached = (len(pool), _median(list(pool.values())))
                self._medians[key] = cached
            median = cached[1]
        quality = {"similar_meters": len(pool) - (meter.meter_id in pool)}
        return StoredBaseline(
            meter.meter_id, median.scaled(meter.rated_kw), window[0], window[1], int(time.time()), quality, prior=True
        )


def _median(similar: list[ProfileBaseline]) -> ProfileBaseline:
    """The element-wise median of normalised baselines, as one baseline."""
    stacked = ProfileBaseline.stack(similar)
    median = stacked.output(0)
    median.coef_ = np.median(stacked.coef_, axis=0, keepdims=True)
    median.scale_ = np.median(stacked.scale_, keepdims=True)
    median.relative_scale_ = np.median(stacked.relative_scale_, keepdims=True)
    median.typical_kwh_ = np.median(stacked.typical_kwh_, keepdims=True)
    median.seen_cells_ = np.asarray(stacked.seen_cells_.any(axis=0, keepdims=True))
    return median
