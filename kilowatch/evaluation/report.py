"""The evaluation report: markdown with the figures against the goals, and PNG plots."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

from core.db.tables import AlertRecord  # noqa: E402
from kilowatch.evaluation.metrics import Scores  # noqa: E402

#: The issue's goals: (label, how to read it from Scores, comparison, target).
GOALS = (
    ("event-level F1, overall", lambda s: s.overall.f1, ">=", 0.9),
    ("event-level F1, worst waste kind", lambda s: min((k.f1 for k in s.by_kind.values() if k.events), default=math.nan), ">=", 0.8),
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
    lines = [f"# {title}", "", f"Command: `{command}`", "",
             "Setup: " + ", ".join(f"{k} {v}" for k, v in setup.items()), "", "## Against the goals", "",
             "| measure | value | goal | met |", "|---|---|---|---|"]
    for label, read, op, target in GOALS:
        value = read(scores)
        lines.append(f"| {label} | {_fmt(value)} | {op} {target} | {_met(value, op, target)} |")
    lines += ["", "## Per waste kind", "",
              "| kind | events | detected | alerts | correct alerts | precision | recall | F1 | median delay (h) |",
              "|---|---|---|---|---|---|---|---|---|"]
    for kind, k in sorted(scores.by_kind.items()):
        lines.append(f"| {kind} | {k.events} | {k.detected} | {k.alerts} | {k.correct_alerts} | {_fmt(k.precision)} | "
                     f"{_fmt(k.recall)} | {_fmt(k.f1)} | {_fmt(scores.median_delay_h(kind))} |")
    o, a = scores.overall, scores.any_kind
    lines += ["", f"Overall (kind must match): precision {_fmt(o.precision)}, recall {_fmt(o.recall)}, F1 {_fmt(o.f1)}.",
              f"Kind-agnostic (any alert on the meter during the event): precision {_fmt(a.precision)}, "
              f"recall {_fmt(a.recall)}, F1 {_fmt(a.f1)}.",
              f"Wasted kWh of every waste event (a missed one estimated at 0): true {scores.wasted_true_kwh:.1f}, "
              f"estimated {scores.wasted_estimated_kwh:.1f} ({_fmt(100 * scores.wasted_error)} %); of the detected "
              f"events alone: true {scores.wasted_detected_true_kwh:.1f}.",
              f"False alerts (the detection of no waste event, second alerts on an event included): "
              f"{scores.false_alerts} over {scores.site_weeks:.1f} site-weeks {dict(scores.false_alert_kinds) or ''}.",
              f"Data faults and meter events injected: {scores.fault_events}; alerts overlapping them: {scores.faults_called_waste}.",
              f"Alerts per detected event: {_fmt(scores.alerts_per_detected_event)}.", "",
              "Strict rules (docs/model-quality.md, session 5): an event is detected by an alert of its kind on "
              "its meter overlapping it (1 h slack) whose evidence came at or after the event's start, or that "
              "grew into it unbroken (dated by the pass that first showed it covering the event's start); its "
              "earliest such alert is its detection and every other alert is false; delay runs from the event's "
              "start to the end of the hour in which the detection first had enough evidence, never clamped; "
              "any alert overlapping a data fault or meter event is a fault called waste.", "",
              "![F1 per kind](f1_by_kind.png)", "", "![Detection delay](delays.png)", "", "![Example alert](example_alert.png)", ""]
    return "\n".join(lines)


def plots(scores: Scores, alerts: list[AlertRecord], directory: Path) -> None:
    kinds = sorted(k for k, v in scores.by_kind.items() if v.events or v.alerts)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(kinds, [0 if math.isnan(scores.by_kind[k].f1) else scores.by_kind[k].f1 for k in kinds], color="#3b7dd8")
    ax.axhline(0.8, color="#c0392b", linestyle="--", linewidth=1, label="goal per kind")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("event-level F1")
    ax.tick_params(axis="x", rotation=30)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(directory / "f1_by_kind.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    delays = [d for ds in scores.delays_h.values() for d in ds]
    ax.hist([min(d, 24) for d in delays] or [0], bins=24, range=(0, 24), color="#27ae60")
    ax.axvline(1.0, color="#c0392b", linestyle="--", linewidth=1)
    ax.set_xlabel("detection delay (simulated hours, capped at 24)")
    ax.set_ylabel("events")
    fig.tight_layout()
    fig.savefig(directory / "delays.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    example = max(alerts, key=lambda a: a.wasted_kwh, default=None)
    if example is not None:
        series = json.loads(example.explanation).get("series", [])
        x = range(len(series))
        ax.plot(x, [p["actual_kwh"] for p in series], label="actual kWh", color="#c0392b")
        ax.plot(x, [p["expected_kwh"] for p in series], label="expected kWh", color="#7f8c8d", linestyle="--")
        ax.set_title(f"{example.meter_id}: {example.kind}, {example.wasted_kwh:.0f} kWh wasted", fontsize=9)
        ax.set_xlabel("hour")
        ax.legend()
    fig.tight_layout()
    fig.savefig(directory / "example_alert.png", dpi=110)
    plt.close(fig)


def write_report(directory: Path, scores: Scores, alerts: list[AlertRecord], *, title: str, command: str,
                 setup: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    plots(scores, alerts, directory)
    path = directory / "report.md"
    path.write_text(markdown(scores, title=title, command=command, setup=setup), encoding="utf-8")
    return path
