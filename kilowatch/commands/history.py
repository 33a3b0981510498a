"""``kilowatch import`` and ``kilowatch score``: historical CSV exports in, anomaly scores out."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer

from kilowatch.context import console, settings_from

#: Rows written to the store per batch.
_BATCH = 10_000
#: Rejected rows listed by line number in the report (all are counted).
_SHOWN_REJECTS = 10


class Values(str, Enum):
    register = "register"
    interval = "interval"


@dataclass
class Parsed:
    """Good rows per meter as (ts, value, line) and the rejected ones by reason."""

    rows: dict[str, list[tuple[int, float, int]]] = field(default_factory=lambda: defaultdict(list))
    sites: dict[str, str] = field(default_factory=dict)
    rejected: Counter = field(default_factory=Counter)
    examples: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def reject(self, reason: str, line: int) -> None:
        self.rejected[reason] += 1
        if len(self.examples[reason]) < _SHOWN_REJECTS:
            self.examples[reason].append(line)


def parse_ts(text: str, tz: ZoneInfo) -> int:
    """Epoch seconds from ISO 8601 (naive means ``tz``) or from a number of seconds."""
    text = text.strip()
    try:
        return int(float(text))
    except ValueError:
        pass
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp())


def read_csv(path: Path, tz: ZoneInfo, progress=None, task=None) -> Parsed:  # noqa: ANN001 - rich progress
    """Read ``timestamp, meter, value[, site]`` rows; never raises on a bad row, counts it."""
    parsed = Parsed()
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        fields = {name.strip().lower(): name for name in reader.fieldnames or []}
        missing = {"timestamp", "meter", "value"} - set(fields)
        if missing:
            raise typer.BadParameter(f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                                     "expected timestamp, meter, value and optionally site")
        seen: set[tuple[str, int]] = set()
        for line, row in enumerate(reader, start=2):
            if progress is not None and line % 5000 == 0:
                progress.update(task, completed=f.tell())
            meter = (row.get(fields["meter"]) or "").strip()
            if not meter:
                parsed.reject("empty meter", line)
                continue
            try:
                ts = parse_ts(row.get(fields["timestamp"]) or "", tz)
            except (ValueError, OverflowError):
                parsed.reject("unreadable timestamp", line)
                continue
            try:
                value = float(row.get(fields["value"]) or "")
            except ValueError:
                parsed.reject("value is not a number", line)
                continue
            if value != value or value in (float("inf"), float("-inf")):
                parsed.reject("value is not a number", line)
                continue
            if (meter, ts) in seen:
                parsed.reject("duplicate meter and timestamp", line)
                continue
            seen.add((meter, ts))
            if "site" in fields and (row.get(fields["site"]) or "").strip():
                parsed.sites[meter] = row[fields["site"]].strip()
            parsed.rows[meter].append((ts, value, line))
        if progress is not None:
            progress.update(task, completed=path.stat().st_size)
    return parsed


def _report(parsed: Parsed, accepted: int, what: str) -> None:
    console.print(f"{what} {accepted:,} rows; rejected {sum(parsed.rejected.values()):,}.")
    for reason, count in parsed.rejected.most_common():
        lines = ", ".join(map(str, parsed.examples[reason]))
        more = " …" if count > len(parsed.examples[reason]) else ""
        console.print(f"  [yellow]{count:,}[/yellow] {reason} (lines {lines}{more})")


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with columns timestamp, meter, value and optionally site.", exists=True, dir_okay=False)],
    values: Annotated[Values, typer.Option(help="register: value is the cumulative register (kWh); interval: kWh used in the interval ending at timestamp.")] = Values.register,
    site: Annotated[Optional[str], typer.Option(help="Site of meters the registry does not know (when the CSV has no site column).")] = None,
    category: Annotated[Optional[str], typer.Option(help="Category for meters the registry does not know, e.g. public_hvac.")] = None,
    tz: Annotated[str, typer.Option(help="Time zone of timestamps without one.")] = "Asia/Shanghai",
) -> None:
    """Load a CSV of meter readings into the configured time-series store."""
    from rich.progress import Progress

    from core.db.registry import load_meters, load_sites, upsert_site
    from core.domain import EnergyPoint, Meter, MeterCategory, Site, SiteType, valid_id
    from kilowatch.wiring import open_database, open_series

    settings = settings_from(ctx)
    if category is not None and category not in {c.value for c in MeterCategory}:
        raise typer.BadParameter(f"unknown category {category!r}", param_hint="--category")
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"reading {file.name}", total=file.stat().st_size)
        parsed = read_csv(file, ZoneInfo(tz), progress, task)
    sessions = open_database(settings)
    store = open_series(settings)
    with sessions.begin() as session:
        known, sites = load_meters(session), load_sites(session)
        for meter_id in list(parsed.rows):
            if meter_id in known:
                continue
            site_id = parsed.sites.get(meter_id) or site
            lines = [line for _, _, line in parsed.rows[meter_id]]
            if not valid_id(meter_id) or (site_id is not None and not valid_id(site_id)):
                reason = "meter or site id has characters the store cannot carry"
            elif site_id is None or category is None:
                reason = "meter not registered (pass --site and --category to register it)"
            else:
                if site_id not in sites:
                    sites[site_id] = Site(site_id, site_id, SiteType.OFFICE, "", "", 31.23, 121.47, tz)
                known[meter_id] = Meter(meter_id, site_id, MeterCategory(category), 0.0, meter_id)
                upsert_site(session, sites[site_id], [known[meter_id]])
                continue
            for line in lines:
                parsed.reject(reason, line)
            del parsed.rows[meter_id]
    accepted = 0
    total = sum(len(r) for r in parsed.rows.values())
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("writing to the store", total=total)
        batch: list[EnergyPoint] = []
        for meter_id, rows in parsed.rows.items():
            meter = known[meter_id]
            rows.sort()
            register = 0.0
            previous: float | None = None
            for ts, value, line in rows:
                if values is Values.interval:
                    if value < 0:
                        parsed.reject("negative interval energy", line)
                        continue
                    register += value
                    energy = value if previous is not None else 0.0
                else:
                    register = value
                    energy = value - previous if previous is not None and value >= previous else 0.0
                previous = register
                batch.append(EnergyPoint(meter.site_id, meter_id, meter.category.value, ts, round(register, 6),
                                         round(energy, 6)))
                accepted += 1
                if len(batch) >= _BATCH:
                    store.write(batch)
                    progress.update(task, advance=len(batch))
                    batch = []
        store.write(batch)
        progress.update(task, advance=len(batch))
    _report(parsed, accepted, "Imported")
    if accepted == 0 and parsed.rejected:
        raise typer.Exit(1)


def score(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV of hourly readings: timestamp, meter, value (optionally site).", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Where to write the scores CSV.")],
    values: Annotated[Values, typer.Option(help="interval: value is the hour's kWh; register: a cumulative register.")] = Values.interval,
    lat: Annotated[float, typer.Option(help="Latitude of the site (daylight).")] = 31.23,
    lon: Annotated[float, typer.Option(help="Longitude of the site (daylight).")] = 121.47,
    tz: Annotated[str, typer.Option(help="Time zone of the site and of timestamps without one.")] = "Asia/Shanghai",
) -> None:
    """Write per-reading anomaly scores and flags for any CSV of hourly meter readings."""
    import numpy as np

    from core.domain import Site, SiteType
    from models.batch import score_table

    settings_from(ctx)
    parsed = read_csv(file, ZoneInfo(tz))
    ts, meters, kwh, lines = [], [], [], []
    for meter_id, rows in parsed.rows.items():
        rows.sort()
        for k, (t, value, line) in enumerate(rows):
            if values is Values.register:
                if k == 0:
                    continue
                value = value - rows[k - 1][1]
                if value < 0:
                    parsed.reject("register went backwards", line)
                    continue
            ts.append(t)
            meters.append(meter_id)
            kwh.append(value)
            lines.append(line)
    result = score_table(np.array(ts, dtype=np.int64), np.array(meters, dtype=str), np.array(kwh), 
                         Site("csv", file.stem, SiteType.OFFICE, "", "", lat, lon, tz))
    order = np.argsort(np.array(lines), kind="stable")
    zone = ZoneInfo(tz)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["timestamp", "meter", "kwh", "expected_kwh", "score", "flag", "episode"])
        for i in order.tolist():
            writer.writerow([datetime.fromtimestamp(ts[i], tz=zone).isoformat(), meters[i], round(kwh[i], 4),
                             "" if np.isnan(result.expected[i]) else round(float(result.expected[i]), 4),
                             "" if np.isnan(result.score[i]) else round(float(result.score[i]), 3),
                             int(result.flag[i]), int(result.episode[i]) or ""])
    _report(parsed, len(ts), "Scored")
    console.print(f"{int(result.flag.sum()):,} readings flagged in {len(set(result.episode[result.episode > 0].tolist()))} "
                  f"episode(s); scores written to {out}.")


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command()(score)
