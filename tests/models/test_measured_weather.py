"""Measured outdoor temperature in the features: used where the site provides it, short gaps
bridged, the proxy elsewhere; and a heat wave the proxy cannot see is no waste with it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import select

from core.db.registry import upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import AlertRecord
from core.db.weather import write_temperatures
from core.domain import EnergyPoint, Meter, MeterCategory
from core.settings import CarbonSettings, DetectSettings
from core.store.embedded import EmbeddedStore
from core.weather import TemperaturePoint
from models.detection import DetectionPass
from models.features import (
    COOLING_FROM_C,
    MAX_BRIDGE_H,
    OPEN_COL,
    hour_features,
    local_calendar,
    outdoor_temperature,
    temperature_proxy,
)
from tests.models.synthetic import SITE, hours

HOUR = 3600


def proxy_of(grid: np.ndarray) -> np.ndarray:
    hour, ordinal, _ = local_calendar(grid, SITE.timezone)
    doy = np.array([date.fromordinal(int(o)).timetuple().tm_yday for o in ordinal])
    return temperature_proxy(SITE.latitude, doy, hour)


def cooling(X: np.ndarray) -> np.ndarray:
    """Cooling need (open plus closed columns), back in deg C above COOLING_FROM_C."""
    return (X[:, 4] + X[:, 5]) * 10.0


def test_measured_hours_set_the_cooling_need_instead_of_the_proxy():
    grid = hours(2)
    measured = np.full(grid.size, 35.0)

    with_weather = hour_features(grid, SITE, measured=measured)

    assert np.allclose(cooling(with_weather), 35.0 - COOLING_FROM_C)
    assert not np.allclose(cooling(hour_features(grid, SITE)), 35.0 - COOLING_FROM_C)


def test_a_short_gap_carries_the_weather_anomaly_across_and_a_long_one_falls_back_to_the_proxy():
    grid = hours(3)
    proxy = proxy_of(grid)
    measured = proxy + np.where(np.arange(grid.size) < 20, 6.0, 2.0)  # a warm spell the proxy does not know
    measured[20:24] = np.nan  # four hours: the anomaly drawn from +6 to +2 across them
    long_gap = np.arange(40, 40 + 2 * MAX_BRIDGE_H + 10)
    measured[long_gap] = np.nan

    temp = outdoor_temperature(grid, proxy, measured)

    assert np.allclose(temp - proxy, np.where(np.isnan(measured), temp - proxy, measured - proxy))  # measured kept
    assert np.allclose((temp - proxy)[20:24], [6.0 - 4.0 * k / 5 for k in range(1, 5)])
    assert np.allclose((temp - proxy)[long_gap[:MAX_BRIDGE_H]], 2.0)  # held from the edge for the bridge
    assert np.allclose((temp - proxy)[long_gap[MAX_BRIDGE_H:-MAX_BRIDGE_H]], 0.0)  # then the proxy alone
    assert np.allclose((temp - proxy)[long_gap[-MAX_BRIDGE_H:]], 2.0)


def test_the_newest_hours_without_weather_hold_the_last_anomaly_for_the_bridge_only():
    grid = hours(2)
    proxy = proxy_of(grid)
    measured = proxy + 5.0
    measured[-(MAX_BRIDGE_H + 3) :] = np.nan

    temp = outdoor_temperature(grid, proxy, measured)

    assert np.allclose((temp - proxy)[:-3], 5.0)
    assert np.allclose(temp[-3:], proxy[-3:])


def test_without_any_measured_hour_the_features_are_the_proxys():
    grid = hours(2)

    assert np.array_equal(hour_features(grid, SITE, measured=np.full(grid.size, np.nan)), hour_features(grid, SITE))


# --- detection: a heat wave --------------------------------------------------------------

DAYS = 30
HEAT_WAVE_C = 10.0
METER = Meter("t-hvac", SITE.site_id, MeterCategory.PUBLIC_HVAC, 80.0)


def hvac_kwh(grid: np.ndarray, temp: np.ndarray) -> np.ndarray:
    """A chiller's load: 4 kWh an hour plus 3 kWh per deg C above 22 C while the office is open,
    1 kWh plus 1.5 per deg C when closed (server rooms, process cooling follow the weather too)."""
    is_open = hour_features(grid, SITE)[:, OPEN_COL] > 0
    rng = np.random.default_rng(11)
    need = np.clip(temp - COOLING_FROM_C, 0.0, None)
    load = np.where(is_open, 4.0 + 3.0 * need, 1.0 + 1.5 * need)
    return load * (1.0 + 0.02 * rng.standard_normal(grid.size))


@pytest.fixture
def heat_wave(tmp_path):
    """A month of a chiller following its outdoor temperature, the last two days 10 C above normal."""
    grid = hours(DAYS)
    rng = np.random.default_rng(5)
    daily = np.repeat(rng.normal(0.0, 1.5, DAYS), 24)
    temp = proxy_of(grid) + daily
    temp[-48:] += HEAT_WAVE_C
    kwh = hvac_kwh(grid, temp)
    store = EmbeddedStore(tmp_path / "series.sqlite")
    register = np.concatenate([[0.0], np.cumsum(kwh)])
    store.write(
        [
            EnergyPoint(SITE.site_id, METER.meter_id, METER.category.value, int(t), float(r), float(e))
            for t, r, e in zip(np.append(grid, grid[-1] + HOUR), register, np.concatenate([[0.0], kwh]), strict=True)
        ]
    )
    engine = create_db_engine(f"sqlite:///{tmp_path / 'kilowatch.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        upsert_site(session, SITE, [METER])
    yield store, sessions, grid, temp
    store.close()
    engine.dispose()


def _alerts(store, sessions, end: int, **settings) -> list[AlertRecord]:
    DetectionPass(store, sessions, DetectSettings(fit_budget_s=None, **settings), CarbonSettings()).run(now=end)
    with sessions() as session:
        return list(session.scalars(select(AlertRecord)))


def test_without_measured_weather_the_heat_wave_looks_like_waste(heat_wave):
    store, sessions, grid, _ = heat_wave

    assert _alerts(store, sessions, int(grid[-1]) + HOUR + 1), "the proxy misses the heat wave: HVAC above its baseline"


def test_with_the_sites_measured_weather_the_heat_wave_is_no_waste(heat_wave):
    store, sessions, grid, temp = heat_wave
    with sessions.begin() as session:
        write_temperatures(
            session, [TemperaturePoint(SITE.site_id, int(t), float(c)) for t, c in zip(grid, temp, strict=True)], "csv"
        )

    assert _alerts(store, sessions, int(grid[-1]) + HOUR + 1) == []


def test_the_proxy_serves_when_measured_weather_is_switched_off(heat_wave):
    store, sessions, grid, temp = heat_wave
    with sessions.begin() as session:
        write_temperatures(
            session, [TemperaturePoint(SITE.site_id, int(t), float(c)) for t, c in zip(grid, temp, strict=True)], "csv"
        )

    assert _alerts(store, sessions, int(grid[-1]) + HOUR + 1, measured_weather=False)
