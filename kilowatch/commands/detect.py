"""``kilowatch detect``: detection passes, each summarised for a person (or as JSON with ``--json``)."""

from __future__ import annotations

import json
import logging
import math
import re
import time
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import typer

from core.timebase import DAY, HOME_TIMEZONE, HOME_ZONE, HOUR, MINUTE
from kilowatch.context import settings_from

log = logging.getLogger(__name__)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([mhdw])", re.IGNORECASE)
_UNIT_S = {"m": MINUTE, "h": HOUR, "d": DAY, "w": 7 * DAY}
#: Alerts listed under "largest waste" in the summary; the JSON lists the same ones.
TOP_ALERTS = 5


def lookback_hours(since: str, now: float) -> int:
    """Hours to scan for ``--since``: a duration (``90m``, ``12h``, ``7d``, ``2w``) or a date/time
    (ISO 8601, naive means Asia/Shanghai) counted back from ``now``; at least one hour."""
    text = since.strip()
    if match := _DURATION.fullmatch(text):
        seconds = float(match.group(1)) * _UNIT_S[match.group(2).lower()]
    else:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise typer.BadParameter(
                f"{since!r} is neither a duration (90m, 12h, 7d, 2w) nor a date/time (2026-12-01 or 2026-12-01T08:00)",
                param_hint="--since",
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=HOME_ZONE)
        seconds = now - moment.timestamp()
        if seconds <= 0:
            raise typer.BadParameter(f"{since!r} is not in the past", param_hint="--since")
    return max(1, math.ceil(seconds / HOUR))


def _detect_overrides(lookback: int | None, defaults: Any) -> dict[str, Any]:  # DetectSettings
    """Settings for a run with another lookback: the training window grows with it, so
    baselines keep as many days before the scanned hours as the configured window leaves."""
    if lookback is None:
        return {}
    training_span_h = defaults.training_days * 24 - defaults.lookback_hours
    return {
        "lookback_hours": lookback,
        "training_days": max(defaults.training_days, math.ceil((lookback + training_span_h) / 24)),
    }


def _touched_alerts(sessions, since: int, site_ids: list[str] | None) -> list[dict[str, Any]]:  # sessionmaker
    """The alerts a pass that started at ``since`` (wall clock) wrote, largest waste first."""
    from sqlalchemy import select

    from core.db.tables import AlertRecord

    query = select(AlertRecord).where(AlertRecord.updated_at >= since)
    if site_ids:
        query = query.where(AlertRecord.site_id.in_(site_ids))
    with sessions() as session:
        rows = session.scalars(query.order_by(AlertRecord.wasted_kwh.desc()).limit(TOP_ALERTS))
        return [
            {
                "id": a.id,
                "site_id": a.site_id,
                "meter_id": a.meter_id,
                "category": a.category,
                "kind": a.kind,
                "status": a.status,
                "wasted_kwh": round(a.wasted_kwh, 1),
                "cost_cny": round(a.cost_cny, 2),
            }
            for a in rows
        ]


def summary(report: Any, lookback: int, elapsed_s: float, top: list[dict[str, Any]], *, default_lookback: bool) -> str:
    """A few lines a person reads after a pass (the report itself is a 300-line dump)."""
    window = f"the last {lookback} h of data" + (
        " (detect.lookback_hours; --since 7d looks further back)" if default_lookback else ""
    )
    lines = [
        f"Scanned {window}: {report.sites_scanned} sites, {report.meters_scored} meters scored in {elapsed_s:.1f} s.",
        f"Alerts: {report.alerts_opened} opened, {report.alerts_updated} updated, {report.alerts_closed} closed"
        + (f", {report.alerts_reopened} reopened" if report.alerts_reopened else "")
        + (f", {report.alerts_suppressed} suppressed by feedback" if report.alerts_suppressed else "")
        + ".",
    ]
    if top:
        lines.append(f"Largest waste among the alerts it wrote (top {TOP_ALERTS}):")
        lines += [
            f"  {a['wasted_kwh']:>9,.1f} kWh  ¥{a['cost_cny']:>9,.2f}  {a['site_id']}  {a['meter_id']}  {a['kind']}"
            f"  (alert #{a['id']}, {a['status']})"
            for a in top
        ]
    if report.warnings:
        codes: dict[str, int] = {}
        for warning in report.warnings:
            codes[warning.code] = codes.get(warning.code, 0) + 1
        listed = ", ".join(f"{n} {code}" for code, n in sorted(codes.items(), key=lambda kv: -kv[1]))
        lines.append(f"Data warnings: {listed} (--json lists each).")
    if report.fits_deferred:
        lines.append(f"{report.fits_deferred} baseline fits wait for a later pass (fit budget spent).")
    return "\n".join(lines)


def detect(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run one pass and exit.")] = False,
    interval: Annotated[float | None, typer.Option(help="Seconds between passes.")] = None,
    site: Annotated[
        list[str] | None, typer.Option(help="Only these sites (repeatable); splits a portfolio across workers.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Scan from here instead of the last 48 h (detect.lookback_hours): a duration (12h, 7d, 2w) "
            f"or a date/time (2026-12-01, naive is {HOME_TIMEZONE} time). Counted back from each site's newest reading "
            "for a duration, from the wall clock for a date."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print each pass as one line of JSON (for scripts).")] = False,
    metrics_port: Annotated[
        int, typer.Option(help="Port of the Prometheus metrics endpoint (0 = off; not served with --once).")
    ] = 9109,
) -> None:
    """Run waste detection passes over recent data and keep alerts up to date; each pass prints a summary."""
    from kilowatch.detect_metrics import DetectMetrics, serve
    from kilowatch.runtime import stop_on_signals
    from kilowatch.wiring import open_database, open_series
    from models.detection import DetectionPass

    base = settings_from(ctx, detect={"interval_s": interval})
    lookback = lookback_hours(since, time.time()) if since is not None else None
    settings = settings_from(ctx, detect={"interval_s": interval, **_detect_overrides(lookback, base.detect)})
    sessions = open_database(settings)
    detector = DetectionPass(open_series(settings), sessions, settings.detect, settings.carbon)
    stop = stop_on_signals()
    metrics = DetectMetrics()
    if metrics_port and not once:
        serve(metrics_port, metrics)
    if settings.detect.shards:
        if site:
            raise typer.BadParameter(
                "--site lists and detect.shards exclude each other: replicas lease shards", param_hint="--site"
            )
        _replica_loop(detector, settings, stop, metrics, once=once, as_json=as_json, since=since)
        return
    while True:
        started, clock = time.time(), time.monotonic()
        with metrics.timing():
            report = detector.run(site_ids=site)
        metrics.record(report, detector.sessions, site)
        elapsed = time.monotonic() - clock
        log.debug("detection pass: %s", report)
        top = _touched_alerts(sessions, int(started), site)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        **asdict(report),
                        "lookback_hours": settings.detect.lookback_hours,
                        "elapsed_s": round(elapsed, 3),
                        "top_waste": top,
                    },
                    default=str,
                )
            )
        else:
            typer.echo(summary(report, settings.detect.lookback_hours, elapsed, top, default_lookback=since is None))
        # A heartbeat for container health checks: its age tells whether passes still finish.
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "detect.heartbeat").touch()
        if once or stop.wait(settings.detect.interval_s):
            break


def _replica_loop(detector, settings, stop, metrics, *, once: bool, as_json: bool, since: str | None) -> None:
    """Passes over leased shards (detect.shards > 0), one summary per pass of what this replica scanned."""
    from core.db.leases import ShardLeases
    from kilowatch.detect_replica import Replica

    leases = ShardLeases(
        detector.sessions, shards=settings.detect.shards, lease_s=settings.detect.lease_s, interval_s=settings.detect.interval_s
    )
    leases.ensure()
    log.info("detection replica %s: %d shards, lease %.1f s", leases.holder, leases.shards, leases.lease_s)
    replica = Replica(detector, leases, stop)
    while True:
        started, clock = time.time(), time.monotonic()
        with metrics.timing():
            done = replica.run_pass()
        if done is None:
            break
        metrics.record(done.report, detector.sessions, list(done.site_ids))
        elapsed = time.monotonic() - clock
        top = _touched_alerts(detector.sessions, int(started), list(done.site_ids)) if done.site_ids else []
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        **asdict(done.report),
                        "lookback_hours": settings.detect.lookback_hours,
                        "elapsed_s": round(elapsed, 3),
                        "top_waste": top,
                        "pass_no": done.pass_no,
                        "replica": leases.holder,
                        "shards": list(done.shards),
                        "site_ids": list(done.site_ids),
                    },
                    default=str,
                ),
                nl=True,
            )
        else:
            typer.echo(f"Pass {done.pass_no}, shards {list(done.shards)} of {leases.shards} (replica {leases.holder}):")
            typer.echo(summary(done.report, settings.detect.lookback_hours, elapsed, top, default_lookback=since is None))
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "detect.heartbeat").touch()
        if once or replica.wait_next():
            break


def register(app: typer.Typer) -> None:
    app.command()(detect)
