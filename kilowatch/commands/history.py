"""``kilowatch import``: historical CSV exports into the store (and the CSV reader ``kilowatch score`` shares)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from core.timebase import HOME_TIMEZONE
from kilowatch.context import console, settings_from

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.domain import EnergyPoint, Meter

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
    labels: dict[tuple[str, int], bool] = field(default_factory=dict)
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


def read_csv(
    path: Path,
    tz: ZoneInfo,
    progress=None,
    task=None,
    *,  # rich progress
    meter_column: str = "meter",
    value_column: str = "value",
    label_column: str | None = None,
) -> Parsed:
    """Read ``timestamp, meter, value[, site]`` rows; never raises on a bad row, counts it.

    Other names for the meter and value columns may be given; with ``label_column``, that
    column's 0/1 (or true/false) is kept per reading in ``Parsed.labels``.
    """
    parsed = Parsed()
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        fields = _columns(path, reader.fieldnames or [], meter_column, value_column, label_column)
        seen: set[tuple[str, int]] = set()
        for line, row in enumerate(reader, start=2):
            if progress is not None and line % 5000 == 0:
                progress.update(task, completed=f.tell())
            try:
                meter, ts, value = _reading(row, fields, tz)
                if (meter, ts) in seen:
                    raise _Refused("duplicate meter and timestamp")
                if "label" in fields:
                    parsed.labels[(meter, ts)] = _label(row, fields)
            except _Refused as exc:
                parsed.reject(str(exc), line)
                continue
            seen.add((meter, ts))
            if "site" in fields and (row.get(fields["site"]) or "").strip():
                parsed.sites[meter] = row[fields["site"]].strip()
            parsed.rows[meter].append((ts, value, line))
        if progress is not None:
            progress.update(task, completed=path.stat().st_size)
    return parsed


class _Refused(ValueError):
    """A row that is not read; the message is the reason counted."""


def _columns(path: Path, names: Sequence[str], meter_column: str, value_column: str, label_column: str | None) -> dict[str, str]:
    """The CSV's column for each field (timestamp, meter, value, and site and label when present), by field."""
    fields = {name.strip().lower(): name for name in names}
    for wanted, given in (("meter", meter_column), ("value", value_column)):
        if given.strip().lower() in fields:
            fields[wanted] = fields[given.strip().lower()]
    if label_column is not None and label_column.strip().lower() in fields:
        fields["label"] = fields[label_column.strip().lower()]
    missing = {"timestamp", "meter", "value"} - set(fields)
    if label_column is not None and "label" not in fields:
        missing.add(label_column)
    if missing:
        raise typer.BadParameter(
            f"{path}: missing column(s) {', '.join(sorted(missing))}; expected timestamp, meter, value and optionally site"
        )
    return fields


def _reading(row: dict[str, str], fields: dict[str, str], tz: ZoneInfo) -> tuple[str, int, float]:
    """The meter, timestamp and value of a row; ``_Refused`` when one is missing or unreadable."""
    meter = (row.get(fields["meter"]) or "").strip()
    if not meter:
        raise _Refused("empty meter")
    try:
        ts = parse_ts(row.get(fields["timestamp"]) or "", tz)
    except (ValueError, OverflowError):
        raise _Refused("unreadable timestamp") from None
    try:
        value = float(row.get(fields["value"]) or "")
    except ValueError:
        raise _Refused("value is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _Refused("value is not a number")
    return meter, ts, value


def _label(row: dict[str, str], fields: dict[str, str]) -> bool:
    """The row's label (0/1, true/false); ``_Refused`` when it is neither."""
    label = (row.get(fields["label"]) or "").strip().lower()
    if label not in ("0", "1", "true", "false", "0.0", "1.0"):
        raise _Refused("label is not 0 or 1")
    return label in ("1", "true", "1.0")


def _report(parsed: Parsed, accepted: int, what: str) -> None:
    console.print(f"{what} {accepted:,} rows; rejected {sum(parsed.rejected.values()):,}.")
    for reason, count in parsed.rejected.most_common():
        lines = ", ".join(map(str, parsed.examples[reason]))
        more = " …" if count > len(parsed.examples[reason]) else ""
        console.print(f"  [yellow]{count:,}[/yellow] {reason} (lines {lines}{more})")


def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV with columns timestamp, meter, value and optionally site.", exists=True, dir_okay=False)
    ],
    values: Annotated[
        Values,
        typer.Option(
            help="register: value is the cumulative register (kWh); interval: kWh used in the interval ending at timestamp."
        ),
    ] = Values.register,
    site: Annotated[
        str | None, typer.Option(help="Site of meters the registry does not know (when the CSV has no site column).")
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="Category for meters the registry does not know, e.g. public_hvac.")
    ] = None,
    tz: Annotated[str, typer.Option(help="Time zone of timestamps without one.")] = HOME_TIMEZONE,
) -> None:
    """Load a CSV of meter readings into the configured time-series store."""
    from rich.progress import Progress

    from core.domain import MeterCategory
    from kilowatch.wiring import open_database, open_series

    settings = settings_from(ctx)
    if category is not None and category not in {c.value for c in MeterCategory}:
        raise typer.BadParameter(f"unknown category {category!r}", param_hint="--category")
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"reading {file.name}", total=file.stat().st_size)
        parsed = read_csv(file, ZoneInfo(tz), progress, task)
    sessions = open_database(settings)
    store = open_series(settings, sessions)
    with sessions.begin() as session:
        known = _known_meters(session, parsed, site, category, tz)
    accepted = 0
    total = sum(len(r) for r in parsed.rows.values())
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("writing to the store", total=total)
        batch: list[EnergyPoint] = []
        for meter_id, rows in parsed.rows.items():
            for point in _points(known[meter_id], rows, values, parsed):
                batch.append(point)
                accepted += 1
                if len(batch) >= _BATCH:
                    store.write(batch)
                    progress.update(task, advance=len(batch))
                    batch = []
        store.write(batch)
        progress.update(task, advance=len(batch))
    store.close()  # bumps the reading versions still pending
    _report(parsed, accepted, "Imported")
    if accepted == 0 and parsed.rejected:
        raise typer.Exit(1)


def _known_meters(session: Session, parsed: Parsed, site: str | None, category: str | None, tz: str) -> dict[str, Meter]:
    """The registry's meters, with the CSV's unknown ones registered at ``site`` (or the CSV's site) and
    ``category`` when both are given; rows of meters that cannot be registered are rejected."""
    from core.db.registry import load_meters, load_sites, upsert_site
    from core.domain import Meter, MeterCategory, Site, SiteType, valid_id

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
    return known


def _points(meter: Meter, rows: list[tuple[int, float, int]], values: Values, parsed: Parsed) -> Iterator[EnergyPoint]:
    """A meter's rows as points, in time order (``rows`` is sorted in place); negative interval energies are rejected."""
    from core.domain import EnergyPoint

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
        yield EnergyPoint(meter.site_id, meter.meter_id, meter.category.value, ts, round(register, 6), round(energy, 6))


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
