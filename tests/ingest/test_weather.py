"""A site's outdoor temperature arrives on ``{prefix}/{site}/weather``: stored per hour; impossible
values are dead-lettered one by one and nothing else of the message is lost."""

from __future__ import annotations

import json

from sqlalchemy import select

from core.db.tables import WeatherRecord
from core.wire_weather import weather_topic
from tests.ingest.conftest import METERS, NOW, SITE, wait_dead_letters, wait_stored
from tests.support import wait_for

T0 = (NOW - 6 * 3600) // 3600 * 3600


def weather_rows(sessions) -> list[tuple[str, int, float, str]]:
    with sessions() as session:
        return [
            tuple(r)
            for r in session.execute(
                select(WeatherRecord.site_id, WeatherRecord.hour, WeatherRecord.temp_c, WeatherRecord.source).order_by(
                    WeatherRecord.hour
                )
            )
        ]


def test_a_single_sample_is_stored_as_the_hour_of_its_timestamp(worker, publisher, sessions):
    publisher.raw(weather_topic(SITE.site_id, publisher.prefix), json.dumps({"v": 1, "ts": T0 + 1200, "temp_c": 12.5}).encode())

    rows = wait_for(lambda: weather_rows(sessions), what="a weather row")
    assert rows == [(SITE.site_id, T0, 12.5, "mqtt")]
    # The worker counts a sample once its row is committed: the row can be read a moment before.
    wait_for(lambda: worker.stats.weather_samples == 1, what="the sample counted")
    assert worker.stats.weather_samples == 1


def test_impossible_temperatures_are_dead_lettered_alone_and_the_good_samples_are_stored(worker, publisher, sessions, store):
    items = [
        f'{{"ts": {T0}, "temp_c": 8.0}}',
        f'{{"ts": {T0 + 3600}, "temp_c": 1e308}}',
        f'{{"ts": {T0 + 7200}, "temp_c": NaN}}',
        f'{{"ts": {T0 + 10800}, "temp_c": -300}}',
        f'{{"ts": {T0 + 14400}, "temp_c": 71}}',
        f'{{"ts": {T0 + 18000}, "temp_c": -4.5}}',
    ]
    payload = f'{{"v": 1, "readings": [{", ".join(items)}]}}'.encode()
    publisher.raw(weather_topic(SITE.site_id, publisher.prefix), payload)
    publisher.reading(METERS[0].meter_id, T0, 1.0)  # readings after it still flow

    letters = wait_dead_letters(sessions, 4)
    assert {row.kind for row in letters} == {"bad_temperature"}
    assert any("outside -90..70 C" in row.reason for row in letters)
    assert any("not finite" in row.reason for row in letters)
    assert wait_for(
        lambda: [r[1:3] for r in weather_rows(sessions)] if len(weather_rows(sessions)) == 2 else None, what="two weather rows"
    ) == [(T0, 8.0), (T0 + 18000, -4.5)]
    wait_stored(store, METERS[0].meter_id, 1)
    wait_for(lambda: worker.stats.rejected["bad_temperature"] == 4, what="the four rejections counted")
    assert worker.stats.rejected["bad_temperature"] == 4


def test_weather_of_a_site_never_announced_is_dead_lettered(worker, publisher, sessions):
    publisher.raw(weather_topic("nowhere", publisher.prefix), json.dumps({"v": 1, "ts": T0, "temp_c": 3.0}).encode())

    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "unknown_site"
    assert weather_rows(sessions) == []


def test_a_resent_hour_replaces_the_stored_value(worker, publisher, sessions):
    topic = weather_topic(SITE.site_id, publisher.prefix)
    publisher.raw(topic, json.dumps({"v": 1, "ts": T0, "temp_c": 3.0}).encode())
    wait_for(lambda: weather_rows(sessions), what="a weather row")
    publisher.raw(
        topic, json.dumps({"v": 1, "readings": [{"ts": T0 + 60, "temp_c": 4.0}, {"ts": T0 + 1800, "temp_c": 5.0}]}).encode()
    )

    assert wait_for(lambda: (rows := weather_rows(sessions)) and rows[0][2] == 4.5 and rows, what="the hour replaced") == [
        (SITE.site_id, T0, 4.5, "mqtt")
    ]


def test_a_sample_outside_the_accepted_window_is_dead_lettered_and_the_others_stored(worker, publisher, sessions):
    body = {"v": 1, "readings": [{"ts": NOW - 500 * 86400, "temp_c": 3.0}, {"ts": T0, "temp_c": 4.0}]}
    publisher.raw(weather_topic(SITE.site_id, publisher.prefix), json.dumps(body).encode())

    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "too_old"
    assert wait_for(lambda: weather_rows(sessions), what="a weather row") == [(SITE.site_id, T0, 4.0, "mqtt")]
