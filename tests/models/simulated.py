"""Seeded simulated portfolios written to an embedded store, plus a registry database for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from core.db.registry import upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from core.domain import EnergyPoint, Reading
from core.store.embedded import EmbeddedStore
from simulators import Portfolio, WasteEvent, build_portfolio, generate, plan_waste

DAY = 86400
#: A Monday in early summer: lights, HVAC and pumps all have distinct day/night rhythms.
FIRST_DAY = datetime(2025, 6, 9, tzinfo=ZoneInfo("Asia/Shanghai"))

#: Rewrites one step's readings before they are stored (drop some, change registers).
Edit = Callable[[int, list[Reading]], list[Reading]]


@dataclass
class SimulatedPortfolio:
    portfolio: Portfolio
    store: EmbeddedStore
    events: list[WasteEvent]
    start: int
    end: int

    def clean_meters(self) -> set[str]:
        wasted = {e.meter_id for e in self.events}
        return {m.meter_id for m in self.portfolio.all_meters()} - wasted


def simulate(
    directory: Path,
    *,
    n_sites: int,
    seed: int,
    days: int = 8,
    events_per_site_day: float = 2.0,
    edit: Edit | None = None,
    extra_events: Callable[[Portfolio, int], list[WasteEvent]] | None = None,
) -> SimulatedPortfolio:
    """``days`` of readings for ``n_sites`` sites, with waste injected only on the last day.

    ``extra_events(portfolio, end)`` adds hand-placed events to the planned ones.
    Points carry ``energy`` = register delta since the meter's previous stored reading
    (0 for the first one and after a reset), as ingest computes it.
    """
    portfolio = build_portfolio(n_sites, seed)
    start = int(FIRST_DAY.timestamp())
    end = start + days * DAY
    events = []
    if events_per_site_day > 0:
        events = plan_waste(portfolio, end - DAY, end, events_per_site_week=7 * events_per_site_day, seed=seed)
    if extra_events is not None:
        events = [*events, *extra_events(portfolio, end)]
    store = EmbeddedStore(directory / "series.sqlite")
    previous: dict[str, float] = {}
    for ts, readings in generate(portfolio, start, end, waste=events, seed=seed):
        points = []
        for r in edit(ts, readings) if edit else readings:
            category = portfolio.meter(r.meter_id).category.value
            last = previous.get(r.meter_id)
            energy = r.register - last if last is not None and r.register >= last else 0.0
            previous[r.meter_id] = r.register
            points.append(EnergyPoint(r.site_id, r.meter_id, category, r.ts, r.register, energy))
        store.write(points)
    return SimulatedPortfolio(portfolio, store, events, start, end)


def registry(directory: Path, portfolio: Portfolio) -> sessionmaker[Session]:
    """A fresh SQLite database with the portfolio's sites and meters registered."""
    directory.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(f"sqlite:///{directory / 'kilowatch.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        for site in portfolio.sites:
            upsert_site(session, site, portfolio.meters[site.site_id])
    return sessions
