"""Reconciler windows sized from the meters' usual intervals: what is read changes, not what is decided."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain import EnergyPoint, Meter, MeterCategory
from core.store.embedded import EmbeddedStore
from ingest.reconcile import LOOKBACK_S, Reconciler

SITE, METER = "site-r", "site-r-m1"
T0 = 1_760_000_000
STEP = 900
LOBBY = Meter(METER, SITE, MeterCategory.LOBBY_LIGHTING, 2.0)


def point(ts: int, register: float, energy: float) -> EnergyPoint:
    return EnergyPoint(SITE, METER, LOBBY.category.value, ts, register, energy)


class CountingStore(EmbeddedStore):
    """The embedded store, counting the points its reads return."""

    read = 0

    def points(self, **kwargs) -> list[EnergyPoint]:
        found = super().points(**kwargs)
        self.read += len(found)
        return found


@pytest.fixture
def store(tmp_path: Path):
    opened = CountingStore(tmp_path / "series.sqlite")
    yield opened
    opened.close()


def reconciler(store: EmbeddedStore, interval: int | None) -> Reconciler:
    return Reconciler(store, lambda m: LOBBY if m == METER else None, lambda _what, call: call(), lambda _m: interval)


def registers(n: int) -> list[float]:
    return [100.0 + 1.5 * i for i in range(n)]


@pytest.mark.parametrize("interval", [2 * STEP, None], ids=["usual interval known", "unknown"])
def test_points_written_against_the_wrong_predecessor_are_corrected(store, interval) -> None:
    regs = registers(48)
    # Another worker wrote the even steps; ours the odd ones, each computed against the
    # reading two steps back (all our worker saw), i.e. twice the true energy.
    store.write([point(T0 + i * STEP, regs[i], 1.5 if i else 0.0) for i in range(0, 48, 2)])
    ours = [point(T0 + i * STEP, regs[i], 3.0) for i in range(1, 48, 2)]
    store.write(ours)

    result = reconciler(store, interval).reconcile(ours)

    stored = store.points(start=T0, end=T0 + 48 * STEP, meter_id=METER)
    assert [p.energy for p in stored] == pytest.approx([0.0] + [1.5] * 47)
    assert result.corrected == 24


def test_a_predecessor_far_outside_the_window_is_still_found(store) -> None:
    regs = registers(30)
    store.write([point(T0, regs[0], 0.0)])  # then 20 intervals of silence
    ours = [point(T0 + 20 * STEP, regs[20], 0.0)]  # our worker never saw the first one
    store.write(ours)

    reconciler(store, STEP).reconcile(ours)

    assert store.points(start=T0 + 20 * STEP, end=T0 + 20 * STEP + 1, meter_id=METER)[0].energy == pytest.approx(
        regs[20] - regs[0]
    )


def test_a_known_interval_reads_a_few_intervals_back_instead_of_hours(store) -> None:
    regs = registers(200)
    store.write([point(T0 + i * STEP, regs[i], 1.5 if i else 0.0) for i in range(199)])
    ours = [point(T0 + 199 * STEP, regs[199], 1.5)]
    store.write(ours)

    store.read = 0
    reconciler(store, STEP).reconcile(ours)
    narrow = store.read
    store.read = 0
    reconciler(store, None).reconcile(ours)
    assert narrow <= 5 < store.read <= LOOKBACK_S // STEP + 2
