"""Data faults between readings are kept out of consumption and reported, each by its kind."""

from __future__ import annotations

import numpy as np

from models.hourly import hourly_from_registers

T0 = 1_749_398_400
STEP = 900


def registers(kw: float = 2.0, n: int = 17, start: float = 5_000.0) -> tuple[np.ndarray, np.ndarray]:
    ts = T0 + STEP * np.arange(n, dtype=np.int64)
    return ts, start + kw * STEP / 3600 * np.arange(n)


def hourly(ts: np.ndarray, reg: np.ndarray, **kw: float):
    return hourly_from_registers(ts, reg, start=T0, end=T0 + 4 * 3600, site_id="s", meter_id="m", **kw)


def test_a_spike_that_comes_back_is_merged_and_the_hour_stays_exact() -> None:
    ts, reg = registers()
    reg[6] += 500.0  # one wildly high register, then back to normal
    result = hourly(ts, reg, rated_kw=5.0)
    assert [w.code for w in result.warnings] == ["spike"]
    assert np.allclose(result.kwh, 2.0)


def test_a_rollover_at_the_announced_maximum_is_counted_exactly() -> None:
    ts, reg = registers(start=99_999.0)
    reg = np.where(reg >= 100_000.0, reg - 100_000.0, reg)
    result = hourly(ts, reg, register_max=100_000.0)
    assert [w.code for w in result.warnings] == ["register_rollover"]
    assert np.allclose(result.kwh, 2.0)


def test_a_register_reset_is_reported_and_not_consumption() -> None:
    ts, reg = registers()
    reg[9:] -= reg[9] - 0.1  # a new meter near zero
    result = hourly(ts, reg)
    assert [w.code for w in result.warnings] == ["register_reset"]
    assert np.nanmax(result.kwh) <= 2.0 + 1e-9


def test_a_frozen_register_that_catches_up_leaves_its_hours_unknown() -> None:
    ts, reg = registers()
    reg[4:9] = reg[4]  # frozen for four readings, then the true value again
    result = hourly(ts, reg)
    assert [w.code for w in result.warnings] == ["stuck_register"]
    assert np.isnan(result.kwh[1])
    assert np.nanmax(result.kwh) <= 2.0 + 1e-9


def test_a_quiet_meter_is_not_a_stuck_register() -> None:
    ts, reg = registers(kw=0.0)
    assert hourly(ts, reg).warnings == ()
