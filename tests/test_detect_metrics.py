"""`kilowatch detect` exports pass duration, meters scored, alerts and failures for Prometheus."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import AlertRecord, SiteRecord
from kilowatch.detect_metrics import DetectMetrics, serve
from models.detection import DETECTION_FAILED, DetectionReport
from models.quality import DataWarning
from tests.api.seed import alert_row
from tests.support import free_port, wait_for


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a real scrape, keyed by name and sorted labels."""
    text = httpx.get(url, timeout=5).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}


@pytest.fixture
def served():
    metrics = DetectMetrics()
    port = free_port()
    server = serve(port, metrics, addr="127.0.0.1")
    yield metrics, f"http://127.0.0.1:{port}/metrics"
    server.shutdown()


@pytest.fixture
def sessions(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'kw.db'}")
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def test_a_finished_pass_is_counted_with_its_meters_alert_changes_and_site_failures(served):
    metrics, url = served
    failed = DataWarning(DETECTION_FAILED, "detection raised ValueError", "site-2")
    report = DetectionReport(sites_scanned=3, meters_scored=41, alerts_opened=2, alerts_closed=1, warnings=(failed,))
    with metrics.timing():
        pass
    metrics.record(report)

    got = scrape(url)
    assert got[("kilowatch_detect_passes_total", (("outcome", "ok"),))] == 1
    assert got[("kilowatch_detect_pass_duration_seconds_count", ())] == 1
    assert got[("kilowatch_detect_meters_scored_total", ())] == 41
    assert got[("kilowatch_detect_last_pass_meters_scored", ())] == 41
    assert got[("kilowatch_detect_alert_changes_total", (("change", "opened"),))] == 2
    assert got[("kilowatch_detect_alert_changes_total", (("change", "closed"),))] == 1
    assert got[("kilowatch_detect_failures_total", (("scope", "site"),))] == 1
    assert got[("kilowatch_detect_failures_total", (("scope", "pass"),))] == 0
    assert got[("kilowatch_detect_last_success_timestamp_seconds", ())] > 0


def test_a_pass_that_raises_is_counted_as_failed_and_the_error_goes_on(served):
    metrics, url = served
    with pytest.raises(ConnectionError), metrics.timing():
        raise ConnectionError("store unavailable")

    got = scrape(url)
    assert got[("kilowatch_detect_passes_total", (("outcome", "failed"),))] == 1
    assert got[("kilowatch_detect_passes_total", (("outcome", "ok"),))] == 0
    assert got[("kilowatch_detect_failures_total", (("scope", "pass"),))] == 1
    assert got[("kilowatch_detect_pass_duration_seconds_count", ())] == 1
    assert got[("kilowatch_detect_last_success_timestamp_seconds", ())] == 0


def test_ongoing_alerts_are_counted_by_kind_and_a_kind_that_ended_reads_zero(served, sessions):
    metrics, url = served
    with sessions.begin() as session:
        session.add(SiteRecord(site_id="s1", name="S1", site_type="office", province="上海"))
        session.flush()
        rows = [("lights_on_daytime", True), ("lights_on_daytime", True), ("hvac_after_hours", True), ("pump_never_stops", False)]
        for hour, (kind, ongoing) in enumerate(rows):
            row = alert_row("s1", "m1", status="open", severity="high", wasted=3.0, kind=kind, hour=hour)
            row.ongoing = ongoing
            session.add(row)
    metrics.record(DetectionReport(), sessions)
    got = scrape(url)
    assert got[("kilowatch_detect_ongoing_alerts", (("kind", "lights_on_daytime"),))] == 2
    assert got[("kilowatch_detect_ongoing_alerts", (("kind", "hvac_after_hours"),))] == 1
    assert ("kilowatch_detect_ongoing_alerts", (("kind", "pump_never_stops"),)) not in got

    with sessions.begin() as session:
        for row in session.scalars(select(AlertRecord)):
            row.ongoing = False
    metrics.record(DetectionReport(), sessions)
    assert scrape(url)[("kilowatch_detect_ongoing_alerts", (("kind", "hvac_after_hours"),))] == 0


def test_kilowatch_detect_serves_the_metrics_of_its_passes(tmp_path):
    port = free_port()
    env = {**os.environ, "KILOWATCH_DATA_DIR": str(tmp_path), "KILOWATCH_STORE__BACKEND": "embedded"}
    env.pop("KILOWATCH_DATABASE__URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from kilowatch.cli import main; main()",
            "detect",
            "--interval",
            "3600",
            "--metrics-port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:

        def passed() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"detect exited with {proc.returncode}: {proc.stdout.read().decode()[-2000:]}")
            try:
                return (
                    scrape(f"http://127.0.0.1:{port}/metrics").get(("kilowatch_detect_passes_total", (("outcome", "ok"),))) == 1
                )
            except httpx.HTTPError:
                return False

        wait_for(passed, timeout=60, interval=0.2, what="one detection pass counted")
        assert (tmp_path / "detect.heartbeat").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
