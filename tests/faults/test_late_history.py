"""A gateway back from an outage uploads a day of buffered readings after newer ones are stored:
every reading counts once, in its own interval, and site carbon says the register rise.

Before, each late reading was stored with energy 0.0: a site whose history arrived after its
first stored reading lost that day from its carbon totals, and a site with readings before the
outage had the whole day's energy on its first reading after it (the right total, the wrong day).
"""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.carbon.service import site_carbon
from core.domain import Reading
from core.wire import batch_topic, encode_batch
from tests.faults.stream import Message, Portfolio, Stamp

pytestmark = [pytest.mark.faults, pytest.mark.services]

SEED = 1111
#: Eight meters per site: the first eight categories, all metered electricity (no PV, no gas).
PORTFOLIO = Portfolio.build(3, 8, tag="late")
QUARTER = 900
STEPS_PER_DAY = 96
#: Midnight of the replayed day and of the day after, where "today" runs until 08:00.
YESTERDAY = int(datetime(2026, 2, 23, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())
TODAY = YESTERDAY + 86_400
TODAY_STEPS = 32
#: Readings a gateway sends per meter in one batch while it uploads its buffer (two hours).
CHUNK_STEPS = 8


def registers(rng: random.Random, steps: int) -> list[float]:
    """One meter's registers every quarter hour: up to 12 kWh each (48 kW on a 200 kW meter)."""
    value, out = round(rng.uniform(1_000.0, 50_000.0), 3), []
    for _ in range(steps):
        out.append(value)
        value = round(value + rng.choice([0.0, rng.uniform(0.0, 12.0)]), 3)
    return out


def batch(site_id: str, readings: list[Reading], prefix: str) -> Message:
    stamps = tuple(Stamp(r.site_id, r.meter_id, r.ts, r.register) for r in readings)
    return Message(batch_topic(site_id, prefix), encode_batch(site_id, readings), stamps)


def scenario(prefix: str) -> tuple[list[Message], list[Message], dict[str, list[Reading]]]:
    """(live messages, the buffered upload, every reading by meter).

    Site 0 reported until 04:00 yesterday, site 1 never before the outage (its history is
    older than every stored reading), site 2 like site 0 but its gateway uploads newest first.
    """
    rng = random.Random(SEED)
    steps = STEPS_PER_DAY + TODAY_STEPS
    by_meter = {
        m.meter_id: [Reading(m.site_id, m.meter_id, YESTERDAY + i * QUARTER, r) for i, r in enumerate(registers(rng, steps))]
        for site in PORTFOLIO.sites
        for m in PORTFOLIO.meters[site.site_id]
    }
    live, upload = [], []
    for index, site in enumerate(PORTFOLIO.sites):
        meters = [m.meter_id for m in PORTFOLIO.meters[site.site_id]]
        before_outage = 0 if index == 1 else 16
        live_steps = [*range(before_outage), *range(STEPS_PER_DAY, steps)]
        live += [batch(site.site_id, [by_meter[m][i] for m in meters], prefix) for i in live_steps]
        chunks = [
            batch(site.site_id, [by_meter[m][i] for m in meters for i in range(lo, min(lo + CHUNK_STEPS, STEPS_PER_DAY))], prefix)
            for lo in range(before_outage, STEPS_PER_DAY, CHUNK_STEPS)
        ]
        upload += chunks[::-1] if index == 2 else chunks
    return live, upload, by_meter


def rise(readings: list[Reading], start: int, end: int) -> float:
    """A meter's register rise over the intervals ending in ``[start, end)``."""
    inside = [r.register for r in readings if start <= r.ts < end]
    before = [r.register for r in readings if r.ts < start]
    return inside[-1] - (before[-1] if before else inside[0])


def test_a_day_of_history_uploaded_after_newer_readings_counts_once_in_its_own_day(rig):
    publisher = rig.publisher()
    publisher.announce(PORTFOLIO)
    worker = rig.worker("late")
    worker.wait_received(len(PORTFOLIO.sites))
    live, upload, by_meter = scenario(rig.prefix)

    publisher.publish_all(live)
    assert rig.settle(publisher).lossless
    publisher.publish_all(upload)
    report = rig.settle(publisher)

    assert report.clean, report.summary()
    assert rig.dead_letter_kinds() == {}
    assert worker.metric("kilowatch_ingest_data_quality_events_total{kind=out_of_order}") == sum(
        (STEPS_PER_DAY - (0 if i == 1 else 16)) * 8 for i in range(3)
    )
    for site in PORTFOLIO.sites:
        meters = PORTFOLIO.meters[site.site_id]
        for start, end in ((YESTERDAY, TODAY), (TODAY, TODAY + 86_400), (YESTERDAY, TODAY + 86_400)):
            want = sum(rise(by_meter[m.meter_id], start, end) for m in meters)
            got = site_carbon(rig.store, site, meters, start, end).kwh
            assert got == pytest.approx(want, abs=1e-3), (
                f"{site.site_id} [{start}, {end}): carbon {got} kWh, registers rose {want}"
            )
