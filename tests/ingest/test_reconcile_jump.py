"""The reconciler judges a stored rise as the tracker does: a meter that started again higher is a reset, not energy."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain import EnergyPoint, Meter, MeterCategory, Reading
from core.store.embedded import EmbeddedStore
from ingest.reconcile import Reconciler

SITE, METER = "site-j", "site-j-m1"
T0 = 1_760_000_000
STEP = 900
HVAC = Meter(METER, SITE, MeterCategory.PUBLIC_HVAC, 10.0)


def point(i: int, register: float, energy: float) -> EnergyPoint:
    return EnergyPoint(SITE, METER, HVAC.category.value, T0 + i * STEP, register, energy)


@pytest.fixture
def store(tmp_path: Path):
    opened = EmbeddedStore(tmp_path / "series.sqlite")
    yield opened
    opened.close()


def test_a_stored_restart_at_a_higher_register_keeps_no_energy_and_is_a_reset(store) -> None:
    # A shared-group worker stored 40,000.5 as a reset (its register started again higher,
    # 40,000.0 having been dead-lettered); 10 kW cannot count 39,995 kWh in 15 minutes.
    store.write([point(0, 5.0, 0.0), point(1, 40_000.5, 0.0), point(2, 40_001.0, 0.5)])
    reconciler = Reconciler(store, lambda m: HVAC if m == METER else None, lambda _what, call: call())

    result = reconciler.reconcile([Reading(SITE, METER, T0 + STEP, 40_000.5)])

    assert [p.energy for p in store.points(start=T0, end=T0 + 3 * STEP)] == pytest.approx([0.0, 0.0, 0.5])
    assert [(f.kind, f.started_at) for f in result.findings.values()] == [("register_reset", T0 + STEP)]
