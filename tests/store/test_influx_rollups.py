"""InfluxDB 1.x rollups: where they are read from, dirty markers, days never rolled up, concurrent recomputes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from core.calendar import day_of
from core.settings import StoreSettings
from core.store import line_protocol as lp
from core.store.daily import days_from_points
from core.store.influx_docs import DIRTY_MEASUREMENT, MARKER_GRACE_S, marker_lines
from core.store.influx_v1 import InfluxV1Store
from tests.store.points import DAY, T0, pt
from tests.store.recording import recording_store

MIDNIGHT = T0 - 8 * 3600  # a local (Asia/Shanghai) midnight, long sealed
RANGE = {"start": MIDNIGHT, "end": MIDNIGHT + 3 * DAY}


@pytest.fixture
def influx_store(influxdb) -> Iterator[InfluxV1Store]:
    opened = InfluxV1Store(StoreSettings(backend="influx1", url=influxdb.url, database=influxdb.new_database()))
    yield opened
    opened.close()


def _raw(store: InfluxV1Store, q: str) -> list[dict]:
    return [series for answer in store.query_many([q]) for series in answer]


def _write_unmarked(store: InfluxV1Store, points) -> None:
    """Points as a kilowatch without rollups wrote them: no dirty markers."""
    store.write_lines(lp.encode_all(points))


def _markers(store: InfluxV1Store) -> list[tuple[str, str]]:
    series = _raw(store, f'SELECT "n" FROM "{DIRTY_MEASUREMENT}" GROUP BY "site", "day"')
    return sorted((s["tags"]["site"], s["tags"]["day"]) for s in series)


def _energy(store: InfluxV1Store) -> list[tuple[int, float, int]]:
    return [(d.day, d.energy, d.readings) for d in store.energy_by_day(**RANGE, site_id="s1")]


def test_a_day_never_rolled_up_is_summed_from_raw_points_and_then_served_from_its_rollup(influx_store) -> None:
    _write_unmarked(influx_store, [pt("m1", MIDNIGHT + 60, energy=2.0), pt("m1", MIDNIGHT + DAY + 60, energy=3.0)])
    assert _energy(influx_store) == [(MIDNIGHT, 2.0, 1), (MIDNIGHT + DAY, 3.0, 1)]
    # Remove the raw points behind the store's back: whole sealed days still answer.
    influx_store.query_many(['DELETE FROM "energy"'])
    assert influx_store.points(**RANGE) == []
    assert _energy(influx_store) == [(MIDNIGHT, 2.0, 1), (MIDNIGHT + DAY, 3.0, 1)]


def test_an_empty_day_is_rolled_up_as_empty_so_later_points_need_their_marker(influx_store) -> None:
    assert _energy(influx_store) == []
    influx_store.write([pt("m1", MIDNIGHT + 60, energy=2.0)])  # marked: the day is sealed
    assert _energy(influx_store) == [(MIDNIGHT, 2.0, 1)]


def test_only_points_before_today_mark_their_day_dirty_and_once_per_site_and_day(influx_store) -> None:
    now = int(time.time())
    influx_store.write(
        [pt("m1", MIDNIGHT + 60), pt("m1", MIDNIGHT + 120), pt("m2", MIDNIGHT + DAY + 5, site="s2"), pt("m1", now)]
    )
    assert _markers(influx_store) == [("s1", str(MIDNIGHT)), ("s2", str(MIDNIGHT + DAY))]


def test_a_recompute_clears_the_markers_it_handled(influx_store) -> None:
    _write_unmarked(influx_store, [pt("m1", MIDNIGHT + 60, energy=2.0)])
    stale = int(time.time()) - MARKER_GRACE_S - 5
    influx_store.write_lines(marker_lines([("s1", MIDNIGHT)], stale))
    assert _energy(influx_store)[0][1] == 2.0
    assert _markers(influx_store) == []


def test_recent_markers_stay_until_they_are_older_than_the_grace(influx_store) -> None:
    influx_store.write([pt("m1", MIDNIGHT + 60, energy=2.0)])
    assert _energy(influx_store)[0][1] == 2.0
    assert _markers(influx_store) == [("s1", str(MIDNIGHT))]


def test_a_marker_written_while_a_recompute_runs_is_not_lost(influx_store, monkeypatch) -> None:
    _write_unmarked(influx_store, [pt("m1", MIDNIGHT + 60, energy=2.0)])
    assert _energy(influx_store)[0][1] == 2.0  # rolled up, no marker
    influx_store.write([pt("m1", MIDNIGHT + 120, energy=1.0)])
    real = influx_store.raw_day_rows
    wrote = []

    def raw_then_a_late_write(*args, **kwargs):
        rows = real(*args, **kwargs)
        if not wrote:  # after the recompute read the raw points, before it clears markers
            wrote.append(True)
            influx_store.write([pt("m1", MIDNIGHT + 180, energy=4.0)])
        return rows

    monkeypatch.setattr(influx_store, "raw_day_rows", raw_then_a_late_write)
    assert _energy(influx_store)[0][1] == 3.0  # the read began before the last write
    monkeypatch.setattr(influx_store, "raw_day_rows", real)
    assert _energy(influx_store) == [(MIDNIGHT, 7.0, 3)]


def test_recent_days_are_read_raw_and_never_rolled_up(influx_store) -> None:
    today = day_of(int(time.time()))
    recent = [pt("m1", today - DAY + 60, energy=1.0), pt("m1", today + 1, energy=2.0)]
    influx_store.write(recent)
    days = influx_store.energy_by_day(start=today - 3 * DAY, end=today + DAY, site_id="s1")
    assert [(d.day, d.energy) for d in days] == [(d.day, d.energy) for d in days_from_points(recent)]
    assert _raw(influx_store, f'SELECT * FROM "rollup_day" WHERE time >= {today - DAY}s') == []


def test_a_month_of_sealed_days_is_read_from_its_month_rollup(influx_store) -> None:
    from core.calendar import month_of, next_month

    month = month_of(MIDNIGHT - 40 * DAY)
    points = [pt("m1", month + DAY * d + 3600, energy=1.0) for d in range(31)] + [
        pt("m1", month + 3600 * 5, energy=1.0),
    ]
    _write_unmarked(influx_store, points)
    bounds = [month, next_month(month)]
    rows = influx_store.energy_by_segment(bounds=bounds, site_ids=["s1"])
    inside = [p for p in points if p.ts < next_month(month)]
    assert [(r.energy, r.readings, r.busiest_day) for r in rows] == [(float(len(inside)), len(inside), 2)]
    influx_store.query_many(['DELETE FROM "energy"', 'DELETE FROM "rollup_day"'])
    again = influx_store.energy_by_segment(bounds=bounds, site_ids=["s1"])
    assert [(r.energy, r.readings, r.busiest_day) for r in again] == [(float(len(inside)), len(inside), 2)]


@pytest.mark.parametrize("hostile", ["x' OR site = 's1", "a|s1", "s.", "x/ OR /.*", "x\nSELECT", ".*"])
def test_a_hostile_site_in_an_aggregate_matches_only_itself(influx_store, hostile: str) -> None:
    influx_store.write([pt("m1", MIDNIGHT + 60), pt("m1", MIDNIGHT + 2 * DAY + 60)])
    assert influx_store.energy_by_day(**RANGE, site_id=hostile) == []
    assert influx_store.energy_by_segment(bounds=[MIDNIGHT, MIDNIGHT + 3 * DAY], site_ids=[hostile]) == []
    assert influx_store.grid_import_by_segment(bounds=[MIDNIGHT, MIDNIGHT + 3 * DAY], site_ids=[hostile]) == {}


def test_write_sends_the_markers_of_late_points_before_the_points() -> None:
    # A reader that can see a late point must find its marker: the markers' request goes first.
    store, bodies = recording_store()
    store.write([pt("m1", MIDNIGHT + 60), pt("m1", int(time.time()))])
    assert [[line.split(" ")[0] for line in body.decode().splitlines()] for body in bodies] == [
        [f"{DIRTY_MEASUREMENT},day={MIDNIGHT},site=s1"],
        ["energy,site=s1,meter=m1,category=elevator"] * 2,
    ]


def test_live_points_are_written_without_markers() -> None:
    store, bodies = recording_store()
    store.write([pt("m1", int(time.time()))])
    assert len(bodies) == 1 and b"rollup_dirty" not in bodies[0]


def test_a_recompute_slower_than_its_budget_answers_but_keeps_no_rollup(influx_store, monkeypatch) -> None:
    import core.store.influx_rollups as rollups

    influx_store.write([pt("m1", MIDNIGHT + 60, energy=2.0)])
    monkeypatch.setattr(rollups, "RECOMPUTE_BUDGET_S", 0.0)
    assert _energy(influx_store) == [(MIDNIGHT, 2.0, 1)]
    assert _raw(influx_store, 'SELECT * FROM "rollup_day"') == []
    assert _markers(influx_store) == [("s1", str(MIDNIGHT))]
    monkeypatch.setattr(rollups, "RECOMPUTE_BUDGET_S", 20.0)
    assert _energy(influx_store) == [(MIDNIGHT, 2.0, 1)]
    assert len(_raw(influx_store, 'SELECT * FROM "rollup_day"')) == 1


def test_a_recompute_in_many_chunks_sums_the_same(influx_store, monkeypatch) -> None:
    import core.store.influx_rollups as rollups

    points = [
        pt(f"{s}-m", MIDNIGHT + d * DAY + 60 * k, energy=1.0 + k, site=s)
        for s in ("a", "b", "c")
        for d in range(3)
        for k in range(2)
    ]
    influx_store.write(points)
    monkeypatch.setattr(rollups, "SITE_DAYS_PER_CHUNK", 2)
    got = influx_store.energy_by_day(**RANGE)
    assert [(d.site_id, d.day, d.energy, d.readings) for d in got] == [
        (d.site_id, d.day, d.energy, d.readings) for d in days_from_points(points)
    ]


def test_a_server_that_refuses_delete_still_gets_right_totals(influx_store, monkeypatch) -> None:
    """The v1-compatible API of InfluxDB 2.x and 3 refuses DELETE: markers stay, answers stay right."""
    from core.store import StoreRejected

    real = influx_store.query_many

    def no_delete(statements):
        if any(s.startswith("DELETE") for s in statements):
            raise StoreRejected("InfluxDB query failed: DELETE is not supported")
        return real(statements)

    monkeypatch.setattr(influx_store, "query_many", no_delete)
    _write_unmarked(influx_store, [pt("m1", MIDNIGHT + 60, energy=2.0)])
    stale = int(time.time()) - MARKER_GRACE_S - 5
    influx_store.write_lines(marker_lines([("s1", MIDNIGHT)], stale))
    assert _energy(influx_store) == [(MIDNIGHT, 2.0, 1)]
    influx_store.write([pt("m1", MIDNIGHT + 120, energy=1.0)])
    assert _energy(influx_store) == [(MIDNIGHT, 3.0, 2)]
    assert _markers(influx_store) == [("s1", str(MIDNIGHT))]


def test_keep_rollups_materialises_the_days_and_months_a_reader_will_need(influx_store) -> None:
    from core.calendar import month_of, next_month

    month = month_of(MIDNIGHT - 40 * DAY)
    _write_unmarked(influx_store, [pt("m1", month + 3600, energy=2.0), pt("m1", month + 5 * DAY, energy=3.0)])
    influx_store.keep_rollups(start=month, end=next_month(month))
    assert len(_raw(influx_store, 'SELECT * FROM "rollup_month"')) == 1
    influx_store.query_many(['DELETE FROM "energy"'])
    rows = influx_store.energy_by_segment(bounds=[month, next_month(month)], site_ids=["s1"])
    assert [(r.energy, r.readings) for r in rows] == [(5.0, 2)]


def test_keep_rollups_reads_a_few_sites_at_a_time_and_builds_every_sites_month(influx_store, monkeypatch) -> None:
    """After a backfill of thousands of sites one read of every site's month cannot finish in the
    recompute budget, so its months would be written by no one: the keeper goes group by group."""
    from core.calendar import month_of, next_month
    from core.store import influx_v1

    monkeypatch.setattr(influx_v1, "KEEP_SITES_PER_READ", 2)
    month = month_of(MIDNIGHT - 40 * DAY)
    sites = [f"s{i}" for i in range(1, 6)]
    _write_unmarked(influx_store, [pt(f"m{i}", month + 3600, energy=float(i), site=s) for i, s in enumerate(sites, 1)])
    reads: list[list[str]] = []
    read = influx_store.rollups.read
    monkeypatch.setattr(influx_store.rollups, "read", lambda group, *a, **k: reads.append(list(group)) or read(group, *a, **k))
    influx_store.keep_rollups(start=month, end=next_month(month))
    assert reads == [["s1", "s2"], ["s3", "s4"], ["s5"]]
    months = _raw(influx_store, 'SELECT "site", "grid_import" FROM "rollup_month"')
    assert sorted((row[1], row[2]) for series in months for row in series["values"]) == [
        (s, float(i)) for i, s in enumerate(sites, 1)
    ]


def test_a_read_over_several_statements_of_sites_honours_each_sites_markers(influx_store, monkeypatch) -> None:
    from core.store import influx_docs

    monkeypatch.setattr(influx_docs, "SITES_PER_STATEMENT", 1)  # two sites: two statements, one marker read
    bounds = [MIDNIGHT, MIDNIGHT + DAY]
    _write_unmarked(influx_store, [pt("m1", MIDNIGHT + 60, energy=2.0, site=s) for s in ("s1", "s2", "s3")])

    def energies() -> dict[str, float]:
        return {r.site_id: r.energy for r in influx_store.energy_by_segment(bounds=bounds, site_ids=["s1", "s2"])}

    assert energies() == {"s1": 2.0, "s2": 2.0}  # rolled up
    influx_store.write([pt("m1", MIDNIGHT + 120, energy=5.0, site="s2"), pt("m1", MIDNIGHT + 120, energy=7.0, site="s3")])
    assert energies() == {"s1": 2.0, "s2": 7.0}
    assert {r.site_id: r.energy for r in influx_store.energy_by_segment(bounds=bounds, site_ids=["s3"])} == {"s3": 9.0}
