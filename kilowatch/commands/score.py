"""``kilowatch score``: anomaly scores, directions and flags for any CSV of hourly readings.

With ``--labels COLUMN`` it also compares the scores with labels made by people (ROC-AUC,
PR-AUC, event precision, recall and F1 per meter); ``--scorer`` runs a naive reference
scorer on the same data with the same command, so that the figures stand side by side.
"""

from __future__ import annotations

import csv
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import typer

from core.timebase import HOME_TIMEZONE
from kilowatch.commands.history import Values, _report, read_csv
from kilowatch.context import console, settings_from

_DIRECTION = {1: "above", -1: "below", 0: ""}


class Scorer(str, Enum):
    kilowatch = "kilowatch"
    robust_z = "robust_z"
    isolation_forest = "isolation_forest"


def _hourly(parsed, values: Values) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per meter: hour starts, kWh per hour and CSV line of each usable reading, in time order."""
    out = {}
    for meter_id, rows in parsed.rows.items():
        rows.sort()
        ts, kwh, lines = [], [], []
        for k, (t, value, line) in enumerate(rows):
            if values is Values.register:
                if k == 0:
                    continue
                value = value - rows[k - 1][1]
                if value < 0:
                    parsed.reject("register went backwards", line)
                    continue
            ts.append(t)
            kwh.append(value)
            lines.append(line)
        if ts:
            out[meter_id] = (np.array(ts, dtype=np.int64), np.array(kwh), np.array(lines))
    return out


def score(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="CSV of hourly readings: timestamp, meter, value (optionally site).", exists=True, dir_okay=False),
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the scores CSV.")],
    values: Annotated[
        Values, typer.Option(help="interval: value is the hour's kWh; register: a cumulative register.")
    ] = Values.interval,
    tz: Annotated[
        str, typer.Option(help="Time zone of the meters and of timestamps without one (UTC keeps naive clock times as they are).")
    ] = HOME_TIMEZONE,
    calendar: Annotated[
        str,
        typer.Option(
            help="Country whose public holidays are judged like Sundays (ISO code: CN, US, DE, ...), or 'none' for plain weekdays."
        ),
    ] = "CN",
    meter_column: Annotated[str, typer.Option(help="Name of the column that identifies the meter.")] = "meter",
    value_column: Annotated[str, typer.Option(help="Name of the column with the readings.")] = "value",
    labels: Annotated[
        str | None, typer.Option(help="Column of 0/1 labels made by people: print ROC-AUC, PR-AUC and event F1 against it.")
    ] = None,
    scorer: Annotated[
        Scorer, typer.Option(help="kilowatch, or a naive reference scorer to compare with (these flag nothing).")
    ] = Scorer.kilowatch,
) -> None:
    """Write per-reading anomaly scores (higher is more abnormal, either way), directions and flags."""
    from kilowatch.evaluation.labelled import compare
    from kilowatch.evaluation.naive import SCORERS
    from kilowatch.evaluation.series import hourly_series
    from models.anomaly import TwoSidedScorer

    settings_from(ctx)
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"unknown time zone {tz!r}", param_hint="--tz") from None
    parsed = read_csv(file, zone, meter_column=meter_column, value_column=value_column, label_column=labels)
    series_by_meter = _hourly(parsed, values)
    rows, figures = [], {}
    for meter_id, (ts, kwh, lines) in series_by_meter.items():
        try:
            series, at = hourly_series(ts, kwh, tz, calendar)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--calendar") from None
        if scorer is Scorer.kilowatch:
            result = TwoSidedScorer().score(series.kwh, series.hour, series.day_key)
            expected, value, direction = result.expected, result.score, result.direction
            flag, episode, kinds = result.flag, result.episode, result.kinds
        else:
            value = SCORERS[scorer.value](series.kwh, series.hour, series.weekday)
            expected = np.full(value.size, np.nan)
            direction = np.zeros(value.size, dtype=np.int64)
            flag, episode, kinds = np.zeros(value.size, dtype=bool), np.zeros(value.size, dtype=np.int64), {}
        if labels is not None:
            truth = np.array([parsed.labels.get((meter_id, int(t)), False) for t in ts])
            figures[meter_id] = compare(value[at], episode[at], truth)
        for i, line in enumerate(lines.tolist()):
            k = at[i]
            rows.append(
                (
                    line,
                    [
                        datetime.fromtimestamp(int(ts[i]), tz=zone).isoformat(),
                        meter_id,
                        round(float(kwh[i]), 4),
                        "" if np.isnan(expected[k]) else round(float(expected[k]), 4),
                        "" if np.isnan(value[k]) else round(float(value[k]), 4),
                        _DIRECTION[int(direction[k])],
                        int(flag[k]),
                        int(episode[k]) or "",
                        kinds.get(int(episode[k]), ""),
                    ],
                )
            )
    rows.sort(key=lambda r: r[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["timestamp", "meter", "kwh", "expected_kwh", "score", "direction", "flag", "episode", "kind"])
        writer.writerows(r for _, r in rows)
    _report(parsed, len(rows), "Scored")
    flagged = sum(1 for _, r in rows if r[6])
    console.print(f"{flagged:,} readings flagged; scores written to {out}.")
    if figures:
        _print_figures(figures, scorer.value)


def _print_figures(figures: dict, scorer: str) -> None:
    """One line per meter and the mean, in a form that pastes into markdown."""
    print(f"| {scorer} | hours | labelled | ROC-AUC | PR-AUC | events found | episodes correct | event F1 |")
    print("|---|---|---|---|---|---|---|---|")
    for meter_id, f in figures.items():
        print(
            f"| {meter_id} | {f.hours} | {f.labelled} | {f.roc_auc:.3f} | {f.pr_auc:.3f} | {f.found}/{f.events} | "
            f"{f.correct}/{f.episodes} | {f.f1:.2f} |"
        )
    roc = np.nanmean([f.roc_auc for f in figures.values()])
    pr = np.nanmean([f.pr_auc for f in figures.values()])
    found, events = sum(f.found for f in figures.values()), sum(f.events for f in figures.values())
    correct, episodes = sum(f.correct for f in figures.values()), sum(f.episodes for f in figures.values())
    print(f"| mean | | | {roc:.3f} | {pr:.3f} | {found}/{events} | {correct}/{episodes} | |")


def register(app: typer.Typer) -> None:
    app.command()(score)
