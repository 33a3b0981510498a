"""The stale-meter judgement: silent in its data and in its arrivals, for several usual intervals."""

from __future__ import annotations

from core.domain import EnergyPoint
from ingest.findings import STALE_METER
from ingest.staleness import StaleWatch

NOW = 1_772_000_000


def point(ts: int, meter: str = "m1") -> EnergyPoint:
    return EnergyPoint("s1", meter, "pv", ts, 1.0, 0.0)


def site_of(_meter: str) -> str:
    return "s1"


def test_a_meter_whose_data_and_arrivals_stopped_four_intervals_ago_is_stale():
    watch = StaleWatch(intervals=4)
    watch.arrived([point(NOW - 900)], now=NOW)

    found, _ = watch.check(NOW + 3 * 900 + 1, [("m1", NOW - 900, 900)], site_of)
    assert found == []
    [finding] = watch.check(NOW + 3 * 900 + 1 + 900, [("m1", NOW - 900, 900)], site_of)[0]

    assert (finding.meter_id, finding.kind, finding.started_at, finding.open) == ("m1", STALE_METER, NOW - 900, True)


def test_old_readings_arriving_now_are_a_backfill_not_silence():
    watch = StaleWatch(intervals=4)
    watch.arrived([point(NOW - 86400)], now=NOW)

    found, _ = watch.check(NOW, [("m1", NOW - 86400, 900)], site_of)

    assert found == []


def test_a_stale_meter_is_reported_once_until_it_speaks_again():
    watch = StaleWatch(intervals=4)
    watch.arrived([point(NOW - 900)], now=NOW)
    assert len(watch.check(NOW + 86400, [("m1", NOW - 900, 900)], site_of)[0]) == 1

    assert watch.check(NOW + 2 * 86400, [("m1", NOW - 900, 900)], site_of) == ([], [])


def test_the_first_reading_after_the_silence_closes_the_finding_at_its_timestamp():
    watch = StaleWatch(intervals=4)
    watch.arrived([point(NOW - 900)], now=NOW)
    watch.check(NOW + 86400, [("m1", NOW - 900, 900)], site_of)

    watch.arrived([point(NOW + 86000), point(NOW + 86900)], now=NOW + 87000)
    _, [closing] = watch.check(NOW + 87000, [("m1", NOW + 86900, 900)], site_of)

    assert (closing.meter_id, closing.started_at, closing.ended_at) == ("m1", NOW - 900, NOW + 86000)


def test_a_finding_opened_by_an_earlier_run_is_closed_by_this_one():
    watch = StaleWatch(intervals=4)
    watch.adopt({"m1": NOW - 900})

    watch.arrived([point(NOW + 500)], now=NOW + 600)
    _, [closing] = watch.check(NOW + 600, [("m1", NOW + 500, 900)], site_of)

    assert closing.ended_at == NOW + 500


def test_a_meter_without_a_learned_interval_uses_the_default():
    watch = StaleWatch(intervals=4, default_interval_s=600)
    watch.known(["m1"], now=NOW)

    assert watch.check(NOW + 2399, [("m1", NOW - 1, None)], site_of)[0] == []
    assert len(watch.check(NOW + 2401, [("m1", NOW - 1, None)], site_of)[0]) == 1
