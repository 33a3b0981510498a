"""The evaluation report: markdown with the figures against the goals, and PNG plots."""

from __future__ import annotations

import json
import math
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # the backend must be chosen first
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from core.db.tables import AlertRecord
from core.timebase import HOME_TIMEZONE
from kilowatch.evaluation.metrics import Scores, detected_at

#: The issue's goals: (label, how to read it from Scores, comparison, target).
GOALS = (
    ("event-level F1, overall", lambda s: s.overall.f1, ">=", 0.9),
    (
        "event-level F1, worst waste kind",
        lambda s: min((k.f1 for k in s.by_kind.values() if k.events), default=math.nan),
        ">=",
        0.8,
    ),
    ("median detection delay (h)", lambda s: s.median_delay_h(), "<=", 1.0),
    ("wasted kWh error", lambda s: abs(s.wasted_error), "<=", 0.15),
    ("false alerts per site-week", lambda s: s.false_alerts_per_site_week, "<=", 0.5),
    ("data faults reported as waste", lambda s: s.faults_called_waste, "<=", 0),
)


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}" if isinstance(x, float) else str(x)


def _met(value: float, op: str, target: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    return "yes" if (value >= target if op == ">=" else value <= target) else "**no**"


def markdown(scores: Scores, *, title: str, command: str, setup: dict) -> str:
    lines = [
        f"# {title}",
        "",
        f"Command: `{command}`",
        "",
        "Setup: " + ", ".join(f"{k} {v}" for k, v in setup.items()),
        "",
        "## Against the goals",
        "",
        "| measure | value | goal | met |",
        "|---|---|---|---|",
    ]
    for label, read, op, target in GOALS:
        value = read(scores)
        lines.append(f"| {label} | {_fmt(value)} | {op} {target} | {_met(value, op, target)} |")
    lines += [
        "",
        "## Per waste kind",
        "",
        "| kind | events | detected | alerts | correct alerts | precision | recall | F1 | median delay (h) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, k in sorted(scores.by_kind.items()):
        lines.append(
            f"| {kind} | {k.events} | {k.detected} | {k.alerts} | {k.correct_alerts} | {_fmt(k.precision)} | "
            f"{_fmt(k.recall)} | {_fmt(k.f1)} | {_fmt(scores.median_delay_h(kind))} |"
        )
    o, a = scores.overall, scores.any_kind
    lines += [
        "",
        f"Overall (kind must match): precision {_fmt(o.precision)}, recall {_fmt(o.recall)}, F1 {_fmt(o.f1)}.",
        f"Kind-agnostic (any alert on the meter during the event): precision {_fmt(a.precision)}, "
        f"recall {_fmt(a.recall)}, F1 {_fmt(a.f1)}.",
        f"Wasted kWh of every waste event (a missed one estimated at 0): true {scores.wasted_true_kwh:.1f}, "
        f"estimated {scores.wasted_estimated_kwh:.1f} ({_fmt(100 * scores.wasted_error)} %); of the detected "
        f"events alone: true {scores.wasted_detected_true_kwh:.1f}.",
        f"False alerts (the detection of no waste event, second alerts on an event included): "
        f"{scores.false_alerts} over {scores.site_weeks:.1f} site-weeks {dict(scores.false_alert_kinds) or ''}.",
        f"Data faults and meter events injected: {scores.fault_events}; alerts overlapping them: {scores.faults_called_waste}.",
        f"Alerts per detected event: {_fmt(scores.alerts_per_detected_event)}.",
        "",
        "Strict rules (docs/model-quality.md, session 5): an event is detected by an alert of its kind on "
        "its meter overlapping it (1 h slack) whose evidence came at or after the event's start, or that "
        "grew into it unbroken (dated by the pass that first showed it covering the event's start); its "
        "earliest such alert is its detection and every other alert is false; delay runs from the event's "
        "start to the end of the hour in which the detection first had enough evidence, never clamped; "
        "any alert overlapping a data fault or meter event is a fault called waste.",
        "",
        "![F1 per kind](f1_by_kind.png)",
        "",
        "![Detection delay](delays.png)",
        "",
        "![Example alert](example_alert.png)",
        "",
    ]
    return "\n".join(lines)


def f1_figure(scores: Scores) -> Figure:
    """F1 per kind against the goal, above the counts behind it: events, detected, false alerts."""
    kinds = sorted(k for k, v in scores.by_kind.items() if v.events or v.alerts)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, height_ratios=(1, 1.4))
    x = np.arange(len(kinds))
    f1 = [scores.by_kind[k].f1 for k in kinds]
    bars = top.bar(x, [0 if math.isnan(v) else v for v in f1], color="#3b7dd8", width=0.6)
    # An F1 of 0 (events, none found) and "n/a" (alerts of a kind no event had) look alike as bars.
    top.bar_label(bars, labels=["n/a" if math.isnan(v) else f"{v:.2f}" for v in f1], padding=2, fontsize=8)
    top.axhline(0.8, color="#c0392b", linestyle="--", linewidth=1, label="goal per kind")
    top.set_ylim(0, 1.15)
    top.set_ylabel("event-level F1")
    top.legend(loc="lower right", fontsize=8)
    counts = (
        ("events", "#7f8c8d", lambda k: scores.by_kind[k].events),
        ("detected", "#27ae60", lambda k: scores.by_kind[k].detected),
        ("false alerts", "#c0392b", lambda k: scores.false_alert_kinds.get(k, 0)),
    )
    width = 0.27
    for i, (label, color, read) in enumerate(counts):
        group = bottom.bar(x + (i - 1) * width, [read(k) for k in kinds], width, label=label, color=color)
        bottom.bar_label(group, padding=1, fontsize=7)
    bottom.set_ylabel("count")
    bottom.set_ylim(0, max([read(k) for _, _, read in counts for k in kinds], default=1) * 1.2 + 0.5)
    bottom.set_xticks(x, kinds, rotation=30, ha="right")
    bottom.legend(fontsize=8, ncols=3, loc="upper right")
    fig.tight_layout()
    return fig


#: Ticks of the delay axis: a quarter hour to four weeks, named as a reader says them.
_DELAY_TICKS = (
    (0.25, "15 min"),
    (1, "1 h"),
    (6, "6 h"),
    (24, "1 day"),
    (72, "3 days"),
    (168, "1 week"),
    (336, "2 weeks"),
    (672, "4 weeks"),
)
#: Delays are plotted no lower than this (a log axis has no 0; none measured so far was).
_DELAY_FLOOR_H = 0.1


def delay_figure(scores: Scores) -> Figure:
    """Every detected event's delay by kind on a log axis: pumps take an hour, creeps days."""
    kinds = sorted(k for k, ds in scores.delays_h.items() if ds)
    fig, ax = plt.subplots(figsize=(9, 4))
    rng = np.random.default_rng(0)  # jitter only, so that equal delays do not hide each other
    for i, kind in enumerate(kinds):
        delays = np.maximum(scores.delays_h[kind], _DELAY_FLOOR_H)
        ax.scatter(
            i + rng.uniform(-0.18, 0.18, len(delays)),
            delays,
            s=14,
            color="#27ae60",
            alpha=0.7,
            label="an event" if i == 0 else None,
        )
        ax.hlines(np.median(delays), i - 0.3, i + 0.3, color="#2c3e50", linewidth=2, label="median" if i == 0 else "_nolegend_")
    ax.axhline(1.0, color="#c0392b", linestyle="--", linewidth=1, label="goal (median)")
    ax.set_yscale("log")
    top = max((d for k in kinds for d in scores.delays_h[k]), default=24)
    ticks = [(v, t) for v, t in _DELAY_TICKS if v <= max(top, 24) * 1.5]
    ax.set_yticks([v for v, _ in ticks], [t for _, t in ticks])
    ax.set_ylim(_DELAY_FLOOR_H * 0.8, max(top, 24) * 1.5)
    ax.set_xticks(range(len(kinds)), [f"{k}\n({len(scores.delays_h[k])})" for k in kinds], rotation=30, ha="right", fontsize=8)
    ax.set_xlim(-0.6, max(len(kinds), 1) - 0.4)
    ax.set_ylabel("detection delay (simulated time)")
    ax.grid(axis="y", which="major", alpha=0.3)
    # Outside the axes: points may sit in any corner.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def example_figure(alerts: list[AlertRecord]) -> Figure:
    """The alert that wasted most: actual against expected in the site's local time, its
    window shaded and the moment it was detected marked."""
    fig, ax = plt.subplots(figsize=(9, 3.8))
    example = max(alerts, key=lambda a: a.wasted_kwh, default=None)
    if example is None:
        ax.text(0.5, 0.5, "no alert", ha="center", va="center", transform=ax.transAxes)
        return fig
    data = json.loads(example.explanation or "{}")
    zone = ZoneInfo(data.get("tz") or HOME_TIMEZONE)
    series = data.get("series", [])
    # As matplotlib's dates (days since its epoch, in UTC); the locator and formatter show local time.
    when = mdates.date2num([datetime.fromisoformat(p["ts"].replace("Z", "+00:00")) for p in series])
    nan = float("nan")
    ax.plot(
        when,
        [nan if p["actual_kwh"] is None else p["actual_kwh"] for p in series],
        label="actual kWh",
        color="#c0392b",
        drawstyle="steps-post",
    )
    ax.plot(
        when,
        [nan if p["expected_kwh"] is None else p["expected_kwh"] for p in series],
        label="expected kWh",
        color="#7f8c8d",
        linestyle="--",
        drawstyle="steps-post",
    )
    local = partial(datetime.fromtimestamp, tz=zone)
    ax.axvspan(
        mdates.date2num(local(example.started_at)),
        mdates.date2num(local(example.ended_at)),
        color="#f5b041",
        alpha=0.25,
        label="alert window",
    )
    found = local(detected_at(example))
    ax.axvline(mdates.date2num(found), color="#2c3e50", linewidth=1.5, label=f"detected {found:%m-%d %H:%M}")
    locator = mdates.AutoDateLocator(tz=zone)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=zone))
    ax.set_xlabel(f"local time of the site ({zone.key})")
    ax.set_ylabel("kWh per hour")
    ax.set_title(f"{example.meter_id}: {example.kind}, {example.wasted_kwh:.0f} kWh wasted", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: the series fill the axes
    fig.tight_layout()
    return fig


def plots(scores: Scores, alerts: list[AlertRecord], directory: Path) -> None:
    for name, fig in (
        ("f1_by_kind.png", f1_figure(scores)),
        ("delays.png", delay_figure(scores)),
        ("example_alert.png", example_figure(alerts)),
    ):
        fig.savefig(directory / name, dpi=110)
        plt.close(fig)


def write_report(directory: Path, scores: Scores, alerts: list[AlertRecord], *, title: str, command: str, setup: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    plots(scores, alerts, directory)
    path = directory / "report.md"
    path.write_text(markdown(scores, title=title, command=command, setup=setup), encoding="utf-8")
    return path
