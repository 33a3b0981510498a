"""``kilowatch demo``: the whole pipeline in one process, on embedded defaults."""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from sqlalchemy import select

from api.app import create_app
from api.security import create_api_key
from api.websessions import create_user
from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import AlertRecord
from core.settings import Settings
from core.store.embedded import EmbeddedStore
from core.timebase import DAY, HOME_ZONE, HOUR
from ingest import IngestWorker
from kilowatch.broker import EmbeddedBroker, pick_port
from kilowatch.context import local_midnight
from kilowatch.runtime import ApiServerThread, stop_on_signals
from models.detection import DetectionPass
from simulators import WasteEvent, build_portfolio, plan_waste, run_simulation

log = logging.getLogger(__name__)
console = Console()
#: Wall-clock seconds between detection passes; short so that alerts show up quickly.
DETECT_EVERY_S = 10.0
#: The demo's simulated clock runs ahead of the wall clock, so "future" readings are expected.
DEMO_MAX_FUTURE_S = 400 * DAY
#: The demo's dashboard user (an admin); its password is generated on every run.
DEMO_USER = "admin"


@dataclass(frozen=True)
class DemoOptions:
    sites: int = 10
    history_days: int = 7
    speed: float = 1440.0
    api_port: int = 8000
    seed: int = 7
    minutes: float | None = None


@dataclass(frozen=True)
class DemoCredentials:
    """What the demo prints for signing in: a dashboard user and an API key, both admin."""

    username: str
    password: str
    api_key: str


def create_demo_credentials(sessions) -> DemoCredentials:  # sessionmaker
    """An admin dashboard user with a generated password, and an admin API key.

    The dashboard signs in with a username and password, never a key: a key typed as a
    password fails and, repeated, locks the address out for minutes.
    """
    password = secrets.token_urlsafe(12)  # 16 characters, above the minimum
    with sessions.begin() as session:
        create_user(session, DEMO_USER, password, "admin", display_name="Demo admin", locale="en")
        api_key = create_api_key(session, "demo admin", "admin")
    return DemoCredentials(DEMO_USER, password, api_key)


def demo_waste(portfolio, day_start: int) -> list[WasteEvent]:
    """A few unmistakable waste events on one day, so the first detection pass has work."""
    wanted = [
        ("corridor_lighting", "lights_daylight", 9, 16),
        ("public_hvac", "hvac_after_hours", 0, 6),
        ("water_pump", "pump_night", 0, 5),
    ]
    events: list[WasteEvent] = []
    for category, kind, start_h, end_h in wanted:
        for site in portfolio.sites:
            if any(e.site_id == site.site_id for e in events):
                continue
            meter = next((m for m in portfolio.meters[site.site_id] if m.category.value == category), None)
            if meter is not None:
                events.append(
                    WasteEvent(
                        site_id=site.site_id,
                        meter_id=meter.meter_id,
                        kind=kind,
                        start=day_start + start_h * HOUR,
                        end=day_start + end_h * HOUR,
                        extra_kw=round(0.8 * meter.rated_kw, 2),
                    )
                )
                break
    return events


def _simulate(
    mqtt, portfolio, history_start: int, live_from: int, *, options: DemoOptions, data_dir, stop: threading.Event
) -> None:
    """The demo's simulator thread: a week of history with a few waste events, then live."""
    try:
        run_simulation(
            mqtt,
            portfolio,
            history_start,
            options.history_days + 365,
            waste=demo_waste(portfolio, live_from - DAY)
            + plan_waste(portfolio, live_from, live_from + 365 * DAY, 3.0, options.seed),
            seed=options.seed,
            speed=options.speed,
            live_from=live_from,
            ground_truth_path=data_dir / "ground_truth",
            progress=False,
            stop=stop,
        )
    except Exception:  # a dead simulator must not leave the demo hanging silently
        log.exception("the simulator stopped")
        stop.set()


def _report_progress(worker: IngestWorker, store, seen: set[int], sessions) -> None:
    stats = worker.stats
    newest = max((p.ts for p in store.latest().values()), default=None)
    clock = datetime.fromtimestamp(newest, HOME_ZONE).strftime("%Y-%m-%d %H:%M") if newest else "-"
    console.print(f"[dim]simulated time {clock} · {stats.stored:,} readings stored · {sum(stats.rejected.values())} rejected[/]")
    _report_new_alerts(sessions, seen)


def _report_new_alerts(sessions, seen: set[int]) -> None:
    with sessions() as session:
        for alert in session.scalars(select(AlertRecord).order_by(AlertRecord.id)):
            if alert.id in seen:
                continue
            seen.add(alert.id)
            console.print(
                f"[bold yellow]alert #{alert.id}[/] {alert.site_id} {alert.category} [cyan]{alert.kind}[/]: "
                f"{alert.wasted_kwh:.1f} kWh wasted, ¥{alert.cost_cny:.2f}, {alert.co2e_kg:.1f} kg CO2e"
            )


def run_demo(settings: Settings, options: DemoOptions) -> None:
    stop = stop_on_signals()
    data_dir = settings.data_dir / "demo"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)

    broker = EmbeddedBroker(port=pick_port(1883))
    broker.start()
    # amqtt speaks MQTT 3.1.1 only; a real Mosquitto or EMQX gets MQTT 5 by default.
    mqtt = settings.mqtt.model_copy(
        update={"host": "127.0.0.1", "port": broker.port, "protocol": "3.1.1", "client_id": "kilowatch-demo-ingest"}
    )
    ingest_settings = settings.ingest.model_copy(update={"max_future_s": DEMO_MAX_FUTURE_S})
    store = EmbeddedStore(data_dir / "series.sqlite")
    engine = create_db_engine(f"sqlite:///{data_dir / 'kilowatch.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    credentials = create_demo_credentials(sessions)

    worker = IngestWorker(mqtt, ingest_settings, store, sessions)
    worker.start()
    api_port = pick_port(options.api_port)
    api = ApiServerThread(create_app(settings, store, sessions), "127.0.0.1", api_port)
    api.start()
    console.rule("[bold green]kilowatch demo")
    console.print(f"Dashboard:  [link]http://127.0.0.1:{api_port}/[/link]")
    console.print(f"API:        http://127.0.0.1:{api_port}/api/v1/alerts   (OpenAPI docs at /api/v1/docs)")
    console.print(f"Sign in:    user [bold]{credentials.username}[/], password [bold]{credentials.password}[/]  (the dashboard)")
    console.print(f"Admin key:  [bold]{credentials.api_key}[/]  (the API: send 'Authorization: Bearer <key>')")
    console.print(f"MQTT:       embedded broker on 127.0.0.1:{broker.port}; data in {data_dir}")
    console.print("Press Ctrl-C to stop.\n")

    detector = DetectionPass(store, sessions, settings.detect, settings.carbon)
    portfolio = build_portfolio(options.sites, options.seed)
    live_from = local_midnight(datetime.now(HOME_ZONE).date())
    history_start = live_from - options.history_days * DAY
    # One continuous run: history is backfilled as fast as the broker takes it, then the
    # same registers run on live, so meters never appear to reset between the two.
    simulation = threading.Thread(
        target=_simulate,
        args=(mqtt.model_copy(update={"client_id": "kilowatch-demo-simulator"}), portfolio, history_start, live_from),
        kwargs=dict(options=options, data_dir=data_dir, stop=stop),
        name="simulator",
        daemon=True,
    )
    console.print(f"Backfilling {options.history_days} days for {options.sites} sites, then live at {options.speed:g}x …")
    simulation.start()
    seen: set[int] = set()
    deadline = time.monotonic() + options.minutes * 60 if options.minutes else None
    try:
        while not stop.is_set():
            stop.wait(DETECT_EVERY_S)
            report = detector.run()
            log.debug("detection pass: %s", report)
            _report_progress(worker, store, seen, sessions)
            if deadline and time.monotonic() > deadline:
                break
    finally:
        stop.set()
        console.print("\nStopping …")
        simulation.join(timeout=15)  # publishes nothing more once it sees the stop
        worker.stop()
        api.stop()
        broker.stop()
        store.close()
        console.print(f"Stopped cleanly. {len(seen)} alerts; data and ground truth kept in {data_dir}.")
