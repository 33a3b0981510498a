"""BaselineBank: baselines reused until stale; a new meter borrows what similar meters draw."""

from __future__ import annotations

import numpy as np

from core.domain import Meter, MeterCategory
from core.timebase import DAY
from models.bank import BaselineBank, StoredBaseline
from models.profile import ProfileBaseline
from tests.models.synthetic import SITE, evening_lights, features, hours


def stored(meter_id: str, on_kwh: float, window_end: int) -> StoredBaseline:
    grid = hours(14)
    fitted = ProfileBaseline().fit(features(grid), evening_lights(grid, on_kwh=on_kwh, seed=int(on_kwh)))
    return StoredBaseline(meter_id, fitted, int(grid[0]), window_end, 0, fitted.quality_[0])


def test_a_baseline_is_reused_until_a_day_of_new_data() -> None:
    bank = BaselineBank(None)
    meter = Meter("m1", SITE.site_id, MeterCategory.LOBBY_LIGHTING, 10.0)
    bank.put(SITE, [(meter, stored("m1", 10.0, window_end=1_000_000))])
    assert not bank.needs_fit("m1", 1_000_000 + DAY - 1, has_history=True)
    assert bank.needs_fit("m1", 1_000_000 + DAY, has_history=True)
    assert bank.needs_fit("unknown", 1_000_000, has_history=True)


def test_a_new_meter_borrows_the_median_profile_of_similar_meters_scaled_by_its_rating() -> None:
    bank = BaselineBank(None)
    for k, rated in enumerate((10.0, 20.0, 30.0)):
        meter = Meter(f"m{k}", SITE.site_id, MeterCategory.LOBBY_LIGHTING, rated)
        bank.put(SITE, [(meter, stored(meter.meter_id, on_kwh=rated, window_end=0))])
    newcomer = Meter("new", SITE.site_id, MeterCategory.LOBBY_LIGHTING, 40.0)
    prior = bank.prior(SITE, newcomer, (0, 1))
    evening = features(hours(1)[20:21])
    assert prior is not None and prior.prior
    assert abs(prior.baseline.predict(evening)[0] - 40.0) < 2.0  # every meter draws its rating at night
    other = Meter("pump", SITE.site_id, MeterCategory.WATER_PUMP, 40.0)
    assert bank.prior(SITE, other, (0, 1)) is None


def test_the_evening_level_of_the_prior_is_not_the_daytime_level() -> None:
    bank = BaselineBank(None)
    bank.put(SITE, [(Meter("a", SITE.site_id, MeterCategory.LOBBY_LIGHTING, 10.0), stored("a", 10.0, 0))])
    prior = bank.prior(SITE, Meter("b", SITE.site_id, MeterCategory.LOBBY_LIGHTING, 10.0), (0, 1))
    day = features(hours(1))
    predicted = prior.baseline.predict(day)
    assert predicted[12] < 1.0 < predicted[20]
    assert np.all(prior.baseline.seen(day))
