"""The embedded store's rollups: rebuilt from raw points when missing, equal to raw sums after writes."""

from __future__ import annotations

import sqlite3

from core.store.embedded import EmbeddedStore
from tests.store.points import DAY, EVERYTHING, T0, pt

MIDNIGHT = T0 - 8 * 3600


def test_a_store_written_before_rollups_existed_gets_them_built_on_open(tmp_path) -> None:
    path = tmp_path / "series.sqlite"
    store = EmbeddedStore(path)
    store.write([pt("m1", MIDNIGHT, energy=2.0), pt("pv", MIDNIGHT, energy=0.5, category="pv")])
    store.close()
    with sqlite3.connect(path) as db:  # as an older kilowatch left it: raw points only
        db.executescript(
            "DROP TABLE energy_day; DROP TABLE energy_month; DROP TABLE site_quarter; DROP TABLE site_day_import; PRAGMA user_version = 0;"
        )
    reopened = EmbeddedStore(path)
    try:
        assert [(d.meter_id, d.energy) for d in reopened.energy_by_day(**EVERYTHING)] == [("m1", 2.0), ("pv", 0.5)]
        assert reopened.grid_import_by_day(**EVERYTHING, site_ids=["s1"]) == {("s1", MIDNIGHT): 1.5}
    finally:
        reopened.close()


def test_whole_days_are_read_from_the_rollup_not_the_raw_points(tmp_path) -> None:
    store = EmbeddedStore(tmp_path / "series.sqlite")
    store.write([pt("m1", MIDNIGHT + 60, energy=2.0)])
    # Remove the raw point behind the store's back: a whole-day answer still has it.
    store._db.execute("DELETE FROM energy")
    store._db.commit()
    try:
        assert [d.energy for d in store.energy_by_day(start=MIDNIGHT, end=MIDNIGHT + DAY)] == [2.0]
    finally:
        store.close()
