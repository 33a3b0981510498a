"""``kilowatch simulate``: options reach the simulator, bad rates are usage errors, a backfill is history
and what ingest will refuse is reported."""

from __future__ import annotations

import csv
import json
import time
from datetime import date, datetime, timedelta

import pytest
import typer
from typer.testing import CliRunner

from core import wire
from core.timebase import HOME_ZONE as SHANGHAI
from kilowatch.cli import app
from kilowatch.commands.simulate import window
from kilowatch.context import local_midnight
from tests.simulators.test_publisher import Recorder
from tests.support import wait_for

DAY = 86400
runner = CliRunner()


def test_an_unknown_waste_kind_is_a_usage_error_naming_the_kinds():
    result = runner.invoke(app, ["simulate", "--waste", "lights_on_mars=1"], terminal_width=200)
    assert result.exit_code == 2
    assert "compressed_air_leak" in result.output


def test_comma_joined_rates_are_read_pair_by_pair_as_in_evaluate():
    # The same syntax as kilowatch evaluate: the unknown kind is named, not the whole option value.
    result = runner.invoke(app, ["simulate", "--waste", "pump_night=1,lights_on_mars=2"], terminal_width=200)
    assert result.exit_code == 2
    assert "unknown kind 'lights_on_mars'" in result.output


def test_a_negative_fault_rate_is_a_usage_error():
    result = runner.invoke(app, ["simulate", "--fault", "spike=-1"], terminal_width=200)
    assert result.exit_code == 2


@pytest.mark.services
def test_a_backfill_with_faults_writes_ground_truth_and_delivery_counts(mosquitto, topic_prefix, tmp_path, monkeypatch):
    monkeypatch.setenv("KILOWATCH_MQTT__TOPIC_PREFIX", topic_prefix)
    truth = tmp_path / "truth"
    result = runner.invoke(
        app,
        [
            "--data-dir",
            str(tmp_path),
            "simulate",
            "--sites",
            "3",
            "--days",
            "7",
            "--start",
            (date.today() - timedelta(days=30)).isoformat(),
            "--seed",
            "4",
            "--host",
            mosquitto.host,
            "--mqtt-port",
            str(mosquitto.port),
            "--no-progress",
            "--waste",
            "pump_night=2",
            "--fault",
            "spike=0.2",
            "--duplicates",
            "0.05",
            "--bad-payloads",
            "0.01",
            "--ground-truth",
            str(truth),
        ],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "truth.csv").open(encoding="utf-8") as f:
        kinds = {row["kind"] for row in csv.DictReader(f)}
    assert kinds == {"pump_night", "spike"}
    counts = json.loads((tmp_path / "truth.delivery.json").read_text(encoding="utf-8"))
    assert counts["duplicates"] > 0 and sum(counts["bad"].values()) > 0


@pytest.fixture
def recorder(mosquitto, topic_prefix):
    rec = Recorder(mosquitto.host, mosquitto.port, f"{topic_prefix}/#")
    yield rec
    rec.close()


def _simulate(mosquitto, topic_prefix, *args: str):
    return runner.invoke(
        app,
        [
            "simulate",
            "--sites",
            "1",
            "--no-progress",
            "--no-waste",
            "--host",
            mosquitto.host,
            "--mqtt-port",
            str(mosquitto.port),
            *args,
        ],
        env={"KILOWATCH_MQTT__TOPIC_PREFIX": topic_prefix},
    )


@pytest.mark.services
def test_backfill_publishes_the_days_before_now_and_none_after(mosquitto, topic_prefix, recorder):
    result = _simulate(mosquitto, topic_prefix, "--days", "1")
    done = time.time()
    assert result.exit_code == 0, result.output

    def arrived():
        # The command returns once the broker acknowledged every message, not once this
        # subscriber has them all: wait for the newest step (up to the last quarter hour).
        got = [
            r
            for m in recorder.snapshot()
            if not m.topic.endswith("/meta")
            for r in wire.decode(m.topic, m.payload, topic_prefix).readings
        ]
        return got if got and max(r.ts for r in got) > done - 900 - 60 else None

    readings = wait_for(arrived, timeout=20, what="the newest readings at the subscriber")
    newest, oldest = max(r.ts for r in readings), min(r.ts for r in readings)
    assert newest <= done
    assert newest > done - 900 - 60  # up to the last quarter hour before now
    assert oldest >= done - DAY - 60
    assert "acknowledged" in result.output and "Ingest will refuse 0" in result.output


@pytest.mark.services
def test_a_live_run_ahead_of_the_clock_reports_what_ingest_will_refuse_and_fails(mosquitto, topic_prefix):
    result = _simulate(mosquitto, topic_prefix, "--days", "0.5", "--speed", "200000")
    assert result.exit_code == 1, result.output
    refused = int(result.output.split("Ingest will refuse ")[1].split(" ")[0].replace(",", ""))
    assert refused > 0


def test_a_backfill_from_a_past_start_ends_now():
    now = time.time()
    start = datetime.fromtimestamp(now, SHANGHAI).date() - timedelta(days=2)
    span = window(8, start, 900, False, now)
    assert span.first == local_midnight(start)
    assert span.first + span.days * DAY <= now + 900
    assert span.first + span.days * DAY > now
    assert "ends now" in span.note


def test_a_start_after_now_is_a_usage_error():
    with pytest.raises(typer.BadParameter, match="after now"):
        window(1, date.today() + timedelta(days=3), 900, False, time.time())


def test_live_mode_backfills_to_now_then_paces():
    now = time.time()
    span = window(1, None, 900, True, now)
    assert span.live_from == span.first and now - 900 < span.first <= now
