"""Hourly aggregation: interval energies become hourly kWh; gaps and resets never become load."""

from __future__ import annotations

import numpy as np

from core.domain import EnergyPoint
from models.hourly import hourly_energy

T0 = 1_749_398_400  # 2025-06-08 16:00 UTC, on an hour boundary
STEP = 900


def points(kw: list[float], *, skip: set[int] = frozenset(), reset_at: int | None = None) -> list[EnergyPoint]:
    """Points every 15 minutes at constant power per interval; ``skip`` drops intervals (a gap)."""
    out, register, last = [], 5_000.0, None
    for i in range(len(kw) + 1):
        if i > 0:
            register += kw[i - 1] * STEP / 3600
        if i in skip:
            continue
        energy = 0.0 if last is None else register - last
        if reset_at is not None and i == reset_at:
            register, energy = 0.0, 0.0  # meter swapped: the register starts again
        out.append(EnergyPoint("s", "m", "pump", T0 + i * STEP, register, energy))
        last = register
    return out


def series(pts: list[EnergyPoint], hours: int = 4, **kw: float):
    return hourly_energy(pts, start=T0, end=T0 + hours * 3600, site_id="s", meter_id="m", **kw)


def test_constant_power_gives_that_many_kwh_per_hour() -> None:
    result = series(points([2.0] * 16))
    assert np.allclose(result.kwh, 2.0)
    assert result.warnings == ()


def test_energy_of_an_interval_closing_a_gap_is_not_counted_as_consumption() -> None:
    # Readings 5..9 are lost: the next one carries 1.5 hours of energy in one interval.
    result = series(points([2.0] * 16, skip={5, 6, 7, 8, 9}))
    assert np.nanmax(result.kwh) <= 2.0 + 1e-9
    assert np.isnan(result.kwh[1]) and np.isnan(result.kwh[2])
    assert [w.code for w in result.warnings] == ["gap"]


def test_register_reset_is_reported_and_its_interval_not_scored() -> None:
    result = series(points([2.0] * 16, reset_at=6))
    assert [w.code for w in result.warnings] == ["register_reset"]
    # The hour with the reset has one unknown quarter: still valid, extrapolated from the rest.
    assert np.allclose(result.kwh[~np.isnan(result.kwh)], 2.0)


def test_reading_far_above_rated_power_is_a_spike_not_a_load() -> None:
    kw = [2.0] * 16
    kw[9] = 100.0
    result = series(points(kw), rated_kw=5.0)
    assert "spike" in [w.code for w in result.warnings]
    assert np.nanmax(result.kwh) <= 2.0 + 1e-9


def test_warnings_before_report_from_are_not_repeated() -> None:
    result = series(points([2.0] * 16, skip={2, 3, 4, 5}), report_from=T0 + 3 * 3600)
    assert result.warnings == ()
