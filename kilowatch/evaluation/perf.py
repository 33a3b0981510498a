"""Speed of the models: batch scoring throughput and a detection pass over a large portfolio.

``python -m kilowatch.evaluation.perf --sites 5000 --meters 50`` (or ``kilowatch evaluate --perf``).

The passes run the production code (``DetectionPass`` with its SQLite alert and finding
writes) with the hourly matrices served from memory, as a worker's ``HourlyCache`` holds
them (the store reads of a pass are the new quarter hours only). Three states of a
worker are timed: a cold start with no baseline anywhere (the fit budget bounds the
pass), a restart with every baseline known but no forest, and the steady state with both
(baselines refitted once a day, within the budget). The refit of one site is measured
separately. Synthetic sites reuse a few load templates so that 250,000
meters fit in memory; every site still has its own ids, alerts and database rows.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from threadpoolctl import threadpool_limits

from core.db.scratch import temporary_database
from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import MeterRecord, SiteRecord
from core.domain import Meter, MeterCategory, Site, SiteType
from core.settings import CarbonSettings, DetectSettings
from core.store.base import SeriesStore
from core.store.embedded import EmbeddedStore
from core.timebase import DAY, HOME_TIMEZONE, HOUR
from models.bank import BaselineBank, StoredBaseline
from models.cache import HourlyCache, SiteHours
from models.detection import DetectionPass
from models.features import DAYLIGHT_COL, OPEN_COL, hour_features
from models.profile import ProfileBaseline
from models.quality import DataWarning
from models.scoring import SiteScanner

START = 1_746_979_200  # 2025-05-12 00:00 Asia/Shanghai
TRAINING_DAYS, LOOKBACK_HOURS = 28, 48
TEMPLATES = 8
_CATEGORIES = (
    MeterCategory.CORRIDOR_LIGHTING,
    MeterCategory.LOBBY_LIGHTING,
    MeterCategory.PUBLIC_HVAC,
    MeterCategory.WATER_PUMP,
    MeterCategory.ELEVATOR,
    MeterCategory.AIR_COMPRESSOR,
)


@dataclass
class Template:
    site: Site
    categories: list[MeterCategory]
    rated: np.ndarray
    kwh: np.ndarray  # hours x meters
    baselines: list[StoredBaseline]


def _template(k: int, n_meters: int, hours: np.ndarray, train_end: int) -> Template:
    rng = np.random.default_rng([k, 0xBE7C])
    site = Site(f"tpl-{k}", "模板", SiteType.OFFICE, "上海", "上海", 31.2, 121.5)
    X = hour_features(hours, site)
    cats = [_CATEGORIES[(k + j) % len(_CATEGORIES)] for j in range(n_meters)]
    rated = rng.uniform(10, 100, n_meters)
    dark, open_ = 1 - X[:, DAYLIGHT_COL], X[:, OPEN_COL]
    shapes = {
        "lighting": 0.1 + 0.8 * dark,
        "public_hvac": 0.05 + 0.6 * open_,
        "water_pump": 0.1 + 0.5 * open_,
        "elevator": 0.05 + 0.4 * open_,
        "air_compressor": 0.15 + 0.5 * open_,
    }
    kwh = np.empty((hours.size, n_meters))
    for j, c in enumerate(cats):
        shape = shapes["lighting" if "lighting" in c.value else c.value]
        kwh[:, j] = rated[j] * shape * (1 + 0.05 * rng.standard_normal(hours.size))
    kwh[-10:-4, k % n_meters] += 0.6 * rated[k % n_meters]  # one episode per site: the alert path runs too
    train = hours < train_end
    fitted = ProfileBaseline().fit(X[train], kwh[train])
    baselines = [
        StoredBaseline(f"m{j}", fitted.output(j), int(hours[0]), train_end, 0, dict(fitted.quality_[j])) for j in range(n_meters)
    ]
    return Template(site, cats, rated, kwh, baselines)


class MemoryHours(HourlyCache):
    """Serves each site's hourly matrix from its template (what ``HourlyCache`` holds between passes).

    ``store`` is never read: the hours come from the templates.
    """

    def __init__(self, store: SeriesStore, hours: np.ndarray, templates: list[Template], n_meters: int) -> None:
        super().__init__(store)
        self.hours, self.templates, self.n_meters = hours, templates, n_meters

    def site(
        self, site_id: str, meters: list[Meter], *, start: int, end: int, report_from: int
    ) -> tuple[SiteHours, list[DataWarning], set[str]]:
        t = self.templates[int(site_id.split("-")[1]) % len(self.templates)]
        kwh = {m.meter_id: t.kwh[:, int(m.meter_id.rsplit("-", 1)[1])] for m in meters}
        return SiteHours(self.hours, kwh, built_at=end), [], set(kwh)


def _portfolio(sessions, n_sites: int, n_meters: int, templates: list[Template]) -> list[tuple[Site, list[Meter]]]:
    out = []
    site_rows, meter_rows = [], []
    for i in range(n_sites):
        t = templates[i % len(templates)]
        sid = f"site-{i:05d}"
        site = Site(sid, f"站点{i}", SiteType.OFFICE, "上海", "上海", 31.2, 121.5)
        meters = [Meter(f"{sid}-{j}", sid, t.categories[j], float(t.rated[j])) for j in range(n_meters)]
        site_rows.append(
            {
                "site_id": sid,
                "name": site.name,
                "site_type": "office",
                "city": "上海",
                "province": "上海",
                "latitude": 31.2,
                "longitude": 121.5,
                "timezone": HOME_TIMEZONE,
            }
        )
        meter_rows += [
            {"meter_id": m.meter_id, "site_id": sid, "category": m.category.value, "rated_kw": m.rated_kw, "name": ""}
            for m in meters
        ]
        out.append((site, meters))
    with sessions.begin() as session:
        session.execute(insert(SiteRecord), site_rows)
        session.execute(insert(MeterRecord), meter_rows)
    return out


def _timed(detector: DetectionPass, now: int, site_ids: list[str]):
    """(wall seconds, CPU seconds, report) of one pass."""
    began, cpu = time.perf_counter(), time.process_time()
    report = detector.run(now=now, site_ids=site_ids)
    return time.perf_counter() - began, time.process_time() - cpu, report


def _pass(args: tuple) -> dict:
    """A worker's passes over its share of the sites.

    1. A cold start: no baseline anywhere. The fit budget bounds the pass; meters whose
       turn has not come borrow what the similar meters fitted so far draw.
    2. A restart with every baseline known (read back from the database, adopted here)
       but no forest: forests are fitted within the budget.
    3. The steady state: baselines and forests known (the forests of sites cloned from one
       template are shared, since their baselines are the same objects).
    """
    db_url, cold_url, site_ids, n_meters, now, budget_s = args
    hours = np.arange(now - TRAINING_DAYS * DAY, now, HOUR, dtype=np.int64) // HOUR * HOUR
    train_end = (now - LOOKBACK_HOURS * HOUR) // HOUR * HOUR
    templates = [_template(k, n_meters, hours, train_end) for k in range(TEMPLATES)]
    sessions = session_factory(create_db_engine(db_url))
    settings = DetectSettings(training_days=TRAINING_DAYS, lookback_hours=LOOKBACK_HOURS, fit_budget_s=budget_s)
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="kw_perf_") as tmp, threadpool_limits(limits=1):
        # An empty store that no pass reads: each names its hour (``now``), and the cache holds the readings.
        store = EmbeddedStore(Path(tmp) / "unread.sqlite")
        cache = MemoryHours(store, hours, templates, n_meters)
        cold = DetectionPass(
            store,
            session_factory(create_db_engine(cold_url)),
            settings,
            CarbonSettings(),
            scanner=SiteScanner(BaselineBank(None)),
            cache=cache,
        )
        for name, at in (("cold_first", now - 2 * HOUR), ("cold_second", now - HOUR)):
            seconds, cpu, report = _timed(cold, at, site_ids)
            out[f"{name}_s"], out[f"{name}_cpu_s"] = seconds, cpu
            out[f"{name}_fitted"] = report.baselines_fitted
            out[f"{name}_deferred"] = report.fits_deferred
        del cold
        bank = BaselineBank(None)
        for sid in site_ids:
            t = templates[int(sid.split("-")[1]) % len(templates)]
            site = Site(sid, "", SiteType.OFFICE, "上海", "上海", 31.2, 121.5)
            for j in range(n_meters):
                bank.adopt(site, f"{sid}-{j}", t.baselines[j])
        scanner = SiteScanner(bank)
        detector = DetectionPass(store, sessions, settings, CarbonSettings(), scanner=scanner, cache=cache)
        out["restart_first_s"], out["restart_first_cpu_s"], report = _timed(detector, now - HOUR, site_ids)
        # Not timed: one forest per template, shared with the template's other sites.
        unlimited = DetectionPass(
            store, sessions, settings.model_copy(update={"fit_budget_s": None}), CarbonSettings(), scanner=scanner, cache=cache
        )
        for k in range(len(templates)):
            mine = [sid for sid in site_ids if int(sid.split("-")[1]) % len(templates) == k]
            if not mine:
                continue
            source = next((sid for sid in mine if scanner.has_forest(sid)), mine[0])
            if not scanner.has_forest(source):
                unlimited.run(now=now - HOUR, site_ids=[source])
            scanner.share_forest(source, mine)
        out["steady_s"], out["steady_cpu_s"], report = _timed(detector, now, site_ids)
        out["sites"] = report.sites_scanned
        out["alerts_opened"] = report.alerts_opened
        store.close()
    return out


@contextmanager
def _databases(directory: Path, postgres: str | None) -> Iterator[tuple[str, Callable[[], str]]]:
    """The registry's URL, and what copies it for the cold start: SQLite files, or PostgreSQL databases."""
    if postgres is None:

        def copy_sqlite() -> str:
            shutil.copy(directory / "perf.db", directory / "cold.db")
            return f"sqlite:///{directory / 'cold.db'}"

        yield f"sqlite:///{directory / 'perf.db'}", copy_sqlite
        return
    with ExitStack() as stack:
        main = stack.enter_context(temporary_database(postgres, prefix="kw_perf"))

        def copy_postgres() -> str:
            return stack.enter_context(temporary_database(postgres, prefix="kw_cold", template=main))

        yield main, copy_postgres


def detection_pass(
    n_sites: int,
    n_meters: int,
    workers: int,
    directory: Path,
    budget_s: float | None = DetectSettings().fit_budget_s,
    postgres: str | None = None,
) -> dict:
    """Wall time of one pass over ``n_sites`` x ``n_meters`` split across ``workers`` processes.

    The registry (sites, meters, alerts) is SQLite unless ``postgres`` names a server where
    the run may create its two databases."""
    with _databases(directory, postgres) as (db_url, copy_for_cold_start):
        return _detection_pass(n_sites, n_meters, workers, db_url, copy_for_cold_start, budget_s)


def _detection_pass(
    n_sites: int, n_meters: int, workers: int, db_url: str, copy_for_cold_start: Callable[[], str], budget_s: float | None
) -> dict:
    engine = create_db_engine(db_url)
    migrate(engine)
    now = START + TRAINING_DAYS * DAY
    hours = np.arange(now - TRAINING_DAYS * DAY, now, HOUR, dtype=np.int64)
    templates = [_template(k, n_meters, hours, now - LOOKBACK_HOURS * HOUR) for k in range(TEMPLATES)]
    portfolio = _portfolio(session_factory(engine), n_sites, n_meters, templates)
    engine.dispose()
    # The cold start writes its own alerts: the steady state starts from the same clean registry.
    cold_url = copy_for_cold_start()
    ids = [s.site_id for s, _ in portfolio]
    shares = [ids[w::workers] for w in range(workers)]
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(_pass, [(db_url, cold_url, share, n_meters, now, budget_s) for share in shares])
    wall = time.perf_counter() - began
    worst = {key: round(max(r[key] for r in results), 2) for key in results[0] if key.endswith("_s")}
    return {
        "sites": n_sites,
        "meters": n_sites * n_meters,
        "workers": workers,
        "fit_budget_s": budget_s,
        "registry": db_url.split(":", 1)[0],
        "pass_s": worst["steady_s"],
        "cpu_s_per_worker": worst["steady_cpu_s"],
        "cold_first_pass_s": worst["cold_first_s"],
        "cold_second_pass_s": worst["cold_second_s"],
        "restart_first_pass_s": worst["restart_first_s"],
        "cpu_s_per_worker_cold_first": worst["cold_first_cpu_s"],
        "cpu_s_per_worker_cold_second": worst["cold_second_cpu_s"],
        "cpu_s_per_worker_restart_first": worst["restart_first_cpu_s"],
        "cold_first_fitted": sum(r["cold_first_fitted"] for r in results),
        "cold_first_deferred": sum(r["cold_first_deferred"] for r in results),
        "cold_second_fitted": sum(r["cold_second_fitted"] for r in results),
        "wall_s_with_setup": round(wall, 2),
        "alerts_opened": sum(r["alerts_opened"] for r in results),
    }


def scoring_throughput(n_meters: int = 50, days: int = 365) -> dict:
    """Readings scored per second on one core: expected, scale and score for every (hour, meter)."""
    site = Site("perf", "", SiteType.OFFICE, "上海", "上海", 31.2, 121.5)
    hours = np.arange(START, START + days * DAY, HOUR, dtype=np.int64)
    t = _template(0, n_meters, hours, int(hours[24 * 28]))
    fitted = ProfileBaseline.stack([b.baseline for b in t.baselines])
    with threadpool_limits(limits=1):
        began = time.perf_counter()
        X = hour_features(hours, site)
        features_s = time.perf_counter() - began
        expected = np.clip(fitted.predict(X), 0.0, None)
        scores = (t.kwh - expected) / fitted.residual_scale(expected)
        total_s = time.perf_counter() - began
        fit_began = time.perf_counter()
        ProfileBaseline().fit(X[: 24 * TRAINING_DAYS], t.kwh[: 24 * TRAINING_DAYS])
        fit_s = time.perf_counter() - fit_began
    readings = int(scores.size)
    return {
        "readings": readings,
        "seconds": round(total_s, 4),
        "readings_per_s": int(readings / total_s),
        "features_share": round(features_s / total_s, 2),
        "site_fit_ms": round(1000 * fit_s, 1),
        "meters_per_fit": n_meters,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=5000)
    parser.add_argument("--meters", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--fit-budget",
        type=float,
        default=DetectSettings().fit_budget_s,
        help="Seconds of fitting a pass may spend (detect.fit_budget_s).",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=None,
        help="Keep the registry in PostgreSQL: a server URL where the run may create and drop "
        "two databases (e.g. postgresql://postgres@127.0.0.1:5432/postgres). Default: SQLite files.",
    )
    args = parser.parse_args(argv)
    scoring = scoring_throughput(args.meters)
    print(f"scoring: {scoring}")
    with tempfile.TemporaryDirectory() as tmp:
        detection = detection_pass(args.sites, args.meters, args.workers, Path(tmp), args.fit_budget, args.postgres)
    print(f"pass: {detection}")
    return {"scoring": scoring, "pass": detection}


if __name__ == "__main__":
    main()
