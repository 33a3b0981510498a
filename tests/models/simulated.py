"""Seeded simulated portfolios written to an embedded store and SQLite, with waste ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from core.db.registry import upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from core.domain import EnergyPoint
from core.store.embedded import EmbeddedStore
from simulators import Portfolio, WasteEvent, build_portfolio, generate, plan_waste

DAY = 86400
#: A Monday in early summer: lights, HVAC and pumps all have distinct day/night rhythms.
FIRST_DAY = datetime(2025, 6, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class SimulatedPortfolio:
    portfolio: Portfolio
    store: EmbeddedStore
    sessions: sessionmaker[Session]
    events: list[WasteEvent]
    start: int
    end: int


def simulate(
    tmp_path: Path, *, n_sites: int, seed: int, days: int = 8, events_per_site_day: float = 2.0
) -> SimulatedPortfolio:
    """``days`` of readings for ``n_sites`` sites, with waste injected only on the last day."""
    portfolio = build_portfolio(n_sites, seed)
    start = int(FIRST_DAY.timestamp())
    end = start + days * DAY
    events = plan_waste(portfolio, end - DAY, end, events_per_site_week=7 * events_per_site_day, seed=seed)
    store = EmbeddedStore(tmp_path / "series.sqlite")
    previous: dict[str, float] = {}
    for _, readings in generate(portfolio, start, end, waste=events, seed=seed):
        points = []
        for r in readings:
            meter = portfolio.meter(r.meter_id)
            energy = max(r.register - previous[r.meter_id], 0.0) if r.meter_id in previous else 0.0
            previous[r.meter_id] = r.register
            points.append(EnergyPoint(r.site_id, r.meter_id, meter.category.value, r.ts, r.register, energy))
        store.write(points)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'kilowatch.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        for site in portfolio.sites:
            upsert_site(session, site, portfolio.meters[site.site_id])
    return SimulatedPortfolio(portfolio, store, sessions, events, start, end)
