"""A simulated world for evaluation: a seeded portfolio with planned events, its readings in an
embedded store and its registry in a SQLite database, generated in process (no broker)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from core.db.registry import upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from core.db.weather import write_temperatures
from core.domain import EnergyPoint
from core.store.embedded import EmbeddedStore
from core.timebase import DAY, HOME_ZONE
from core.weather import TemperaturePoint
from kilowatch.evaluation.scenarios import SCENARIOS, Scenario
from simulators import Portfolio, WasteEvent, build_portfolio, generate, plan_scenarios
from simulators.declared import announced_site
from simulators.realism import Realism
from simulators.weather import hourly_temperatures

#: What the sites' gateways send of the weather: ``measured`` (each site's outdoor temperature,
#: hourly, as the simulator's load saw it) or ``none`` (the detector falls back on its proxy).
WEATHER_INPUTS = ("none", "measured")

WEEK = 7 * DAY
#: A Monday in early summer: lights, HVAC and pumps all have distinct day/night rhythms.
DEFAULT_START = datetime(2025, 5, 12, tzinfo=HOME_ZONE)
#: Readings written to the store per batch.
_BATCH = 20_000


@dataclass
class World:
    portfolio: Portfolio
    store: EmbeddedStore
    sessions: sessionmaker[Session]
    #: Every planned event (waste, data faults, meter events) with the kWh it added.
    events: list[tuple[WasteEvent, float]]
    start: int
    #: Detection is evaluated on [eval_start, end); before it is training history only.
    eval_start: int
    end: int
    #: Waste injected in the training history (realistic scenario), with its kWh; never scored.
    history_events: list[tuple[WasteEvent, float]] = field(default_factory=list)
    realism: Realism | None = None

    @property
    def site_weeks(self) -> float:
        return len(self.portfolio.sites) * (self.end - self.eval_start) / WEEK


def event_class(event: WasteEvent) -> str:
    """'waste', 'data_fault' or 'meter_event' (all waste before the simulator knew classes)."""
    return getattr(event, "event_class", "waste")


#: Waste planned in the history ends this long before the evaluation period, so that no
#: alert of the evaluation period can touch it.
HISTORY_GAP_S = 2 * DAY


def plan(
    portfolio: Portfolio, start: int, end: int, mix: Mapping[str, float], faults: Mapping[str, float], seed: int, **options
) -> list[WasteEvent]:
    """Seeded events in ``[start, end)`` with the simulator's scenario planner."""
    return plan_scenarios(portfolio, start, end, mix=dict(mix), faults=dict(faults), seed=seed, **options)


def build_world(
    directory: Path,
    *,
    seed: int,
    sites: int,
    weeks: float,
    history_days: int,
    mix: Mapping[str, float],
    faults: Mapping[str, float] | None = None,
    start: datetime = DEFAULT_START,
    extra_events: list[WasteEvent] | None = None,
    scenario: Scenario | str = "classic",
    declare_hours: bool = False,
    weather: str = "none",
) -> World:
    """Simulate ``history_days`` of history then ``weeks`` with events, into ``directory``.

    The history is clean but in scenarios with ``history_waste``. ``declare_hours``: the sites are
    registered with the opening hours they have at the start (``simulators.declared``).
    ``weather``: one of ``WEATHER_INPUTS``."""
    if weather not in WEATHER_INPUTS:
        raise ValueError(f"weather {weather!r}: expected one of {', '.join(WEATHER_INPUTS)}")
    scenario = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
    directory.mkdir(parents=True, exist_ok=True)
    portfolio = build_portfolio(sites, seed)
    t0 = int(start.timestamp())
    eval_start = t0 + history_days * DAY
    end = eval_start + int(weeks * WEEK)
    realism = scenario.realism(portfolio, t0, eval_start, end, seed)
    hours = realism.hours if realism is not None else None
    if not scenario.events:
        mix, faults = {}, {}
    events = plan(
        portfolio, eval_start, end, mix, faults or {}, seed, hours=hours, faults_overlap_waste=scenario.faults_overlap_waste
    ) + list(extra_events or [])
    history: list[WasteEvent] = []
    if scenario.history_waste > 0 and eval_start - HISTORY_GAP_S > t0:
        history = plan(
            portfolio,
            t0,
            eval_start - HISTORY_GAP_S,
            {k: v * scenario.history_waste for k, v in mix.items()},
            {},
            seed + 0x4157,
            hours=hours,
        )
    store = EmbeddedStore(directory / "series.sqlite")
    gen = generate(portfolio, t0, end, waste=events + history, seed=seed, realism=realism)
    category = {m.meter_id: m.category.value for m in portfolio.all_meters()}
    last: dict[str, float] = {}
    batch: list[EnergyPoint] = []
    for _, readings in gen:
        for r in readings:
            before = last.get(r.meter_id)
            # As ingest does: the delta, or 0 for a first reading and after the register went back.
            energy = r.register - before if before is not None and r.register >= before else 0.0
            last[r.meter_id] = r.register
            batch.append(EnergyPoint(r.site_id, r.meter_id, category[r.meter_id], r.ts, r.register, energy))
        if len(batch) >= _BATCH:
            store.write(batch)
            batch = []
    store.write(batch)
    engine = create_db_engine(f"sqlite:///{directory / 'kilowatch.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        for site in portfolio.sites:
            announced = announced_site(site, realism, t0) if declare_hours else site
            upsert_site(session, announced, portfolio.meters[site.site_id])
        if weather == "measured":
            ids = [site.site_id for site in gen.sites.sites]
            write_temperatures(
                session,
                [
                    TemperaturePoint(sid, hour, float(t))
                    for hour, temps in hourly_temperatures(gen.sites, t0, end)
                    for sid, t in zip(ids, temps, strict=True)
                ],
                "sim",
            )
    past = set(history)
    scored = [(e, kwh) for e, kwh in gen.events() if e not in past]
    return World(
        portfolio, store, sessions, scored, t0, eval_start, end, [(e, kwh) for e, kwh in gen.events() if e in past], realism
    )
