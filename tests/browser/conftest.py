"""A real kilowatch API under uvicorn on a free port, seeded with recent data, and Debian's Chromium."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.options import ApiOptions
from api.passwords import hash_password
from core.db.registry import upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import AlertRecord, DataFindingRecord, UserRecord
from core.domain import EnergyPoint
from core.settings import Settings
from core.store.embedded import EmbeddedStore
from tests.api.seed import METERS_A, METERS_B, SITE_A, SITE_B
from tests.support import free_port, missing, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "manager-password-123"
HOUR = 3600


@dataclass
class Served:
    url: str
    sessions: sessionmaker[Session]
    alerts: dict[str, int]


def _alert(site_id: str, meter_id: str, started: int, hours: int, wasted: float, severity: str, now: int) -> AlertRecord:
    # The detector's explanation carries actual against expected around the episode.
    series = []
    for h in range(-12, hours + 6):
        ts = started + h * HOUR
        inside = 0 <= h < hours
        series.append({"ts": ts, "actual_kwh": (1.0 + wasted / hours) if inside else 1.0 + 0.1 * (h % 3), "expected_kwh": 1.0})
    explanation = {
        "check": "after_hours",
        "actual_kwh": wasted + hours,
        "expected_kwh": float(hours),
        "since": started,
        "until": started + hours * HOUR,
        "text_en": "Corridor lights stayed on after midnight, drawing 4x the usual.",
        "text_zh": "走廊照明午夜后仍未关闭，用电量为平时的 4 倍。",
        "series": series,
    }
    return AlertRecord(
        site_id=site_id,
        meter_id=meter_id,
        category="corridor_lighting",
        kind="after_hours",
        status="open",
        severity=severity,
        started_at=started,
        ended_at=started + hours * HOUR,
        ongoing=False,
        actual_kwh=wasted + hours,
        expected_kwh=float(hours),
        wasted_kwh=wasted,
        cost_cny=wasted * 0.85,
        co2e_kg=wasted * 0.53,
        factor_kg_per_kwh=0.53,
        factor_source="MEE 2023",
        explanation=json.dumps(explanation),
        created_at=now - 600,
        updated_at=now - 600,
    )


def _points(meter, start: int, hours: int, energy: float) -> list[EnergyPoint]:
    return [
        EnergyPoint(meter.site_id, meter.meter_id, meter.category.value, start + h * HOUR, energy * (h + 1), energy)
        for h in range(hours)
    ]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    import uvicorn

    root = tmp_path_factory.mktemp("browser")
    engine = create_db_engine(f"sqlite:///{root / 'kilowatch.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    store = EmbeddedStore(root / "series.sqlite")
    now = int(time.time())
    start = now - now % HOUR - 72 * HOUR
    store.write(
        _points(METERS_A[0], start, 72, 1.2) + _points(METERS_A[1], start, 72, 0.4) + _points(METERS_B[0], start, 72, 2.0)
    )
    with sessions() as session:
        upsert_site(session, SITE_A, METERS_A)
        upsert_site(session, SITE_B, METERS_B)
        alerts = {
            "big": _alert("sh-a", "a-corr", start + 26 * HOUR, 4, 36.0, "high", now),
            "small": _alert("sh-a", "a-corr", start + 50 * HOUR, 3, 8.5, "medium", now),
            "other_site": _alert("bj-b", "b-corr", start + 30 * HOUR, 5, 60.0, "high", now),
        }
        session.add_all(alerts.values())
        session.add(
            UserRecord(
                username="manager",
                display_name="王莉",
                password_hash=hash_password(PASSWORD),
                role="manager",
                site_ids=["sh-a"],
                locale="zh",
                disabled=False,
                created_at=now,
            )
        )
        session.add(
            DataFindingRecord(
                site_id="sh-a",
                meter_id="a-gas",
                kind="stale_meter",
                started_at=now - 5 * HOUR,
                ended_at=None,
                open=True,
                detail="{}",
                source="ingest",
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()
        ids = {name: a.id for name, a in alerts.items()}
    options = ApiOptions(run_outbox=False, stream_poll_s=0.5, stream_max_s=20)
    app = create_app(Settings(data_dir=root), store, sessions, options)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=20, what="uvicorn to start")
    yield Served(f"http://127.0.0.1:{port}/", sessions, ids)
    server.should_exit = True
    thread.join(timeout=10)
    store.close()
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shoot():
    """Save a full-page screenshot under test-artifacts/ (kept by CI as an artifact)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page, name: str) -> Path:
        path = ARTIFACTS / f"dashboard-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


#: Viewports of the browser tests: a laptop and a phone.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page_at(browser):
    """Opens a page at a viewport (zh-CN); every context is closed after the test."""
    contexts = []

    def open_page(viewport):
        context = browser.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=1)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, url: str) -> None:
    """Sign in as the seeded manager and wait for the alert list."""
    page.goto(url)
    page.fill("#username", "manager")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".card.alert")
