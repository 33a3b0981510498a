"""``kilowatch evaluate``: simulate, detect, compare with ground truth, write a report."""

from __future__ import annotations

import shlex
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from kilowatch.context import console, settings_from
from kilowatch.rates import RATE_SYNTAX, parse_rates

#: Where a report goes without --out: under reports/, which git ignores, so a run in the
#: repository leaves the committed example alone.
DEFAULT_OUT = Path("reports/evaluation")
#: The committed example report; ``make evaluation-example`` rewrites it (``--out evaluation``).
EXAMPLE_OUT = Path("evaluation")
#: Data faults and meter events per meter-week when --fault is not given.
DEFAULT_FAULTS = {"stuck_register": 0.02, "spike": 0.05, "dropout": 0.02, "register_reset": 0.01}


def detection_progress(console: Console, *, quiet: bool) -> Progress:
    """The bar over the detection passes, on ``console`` (stderr); hidden with ``quiet`` or
    when that is not a terminal (a log file or a pipe would get a line per refresh)."""
    return Progress(
        TextColumn("Detecting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("passes"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )


def evaluate(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 20251101,
    weeks: Annotated[float, typer.Option(help="Simulated weeks with injected events.", min=0.5)] = 2.0,
    sites: Annotated[int, typer.Option(help="Simulated sites.", min=1)] = 5,
    mix: Annotated[
        list[str] | None,
        typer.Option(
            "--waste",
            "--mix",
            help=f"Waste events per site-week by kind ({RATE_SYNTAX}), as in kilowatch simulate; replaces the default of 1 for every kind. --mix is the older name.",
        ),
    ] = None,
    faults: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            "--faults",
            help=f"Data faults or meter events per meter-week by kind ({RATE_SYNTAX}), as in kilowatch simulate; replaces the default, {','.join(f'{k}={v:g}' for k, v in DEFAULT_FAULTS.items())}. --faults is the older name.",
        ),
    ] = None,
    history_days: Annotated[
        int, typer.Option(help="Clean history simulated before the events (the training window).", min=7)
    ] = 28,
    pass_hours: Annotated[int, typer.Option(help="Simulated hours between detection passes.", min=1)] = 6,
    out: Annotated[
        Path,
        typer.Option(
            help="Directory for report.md and its PNG plots (not tracked by git by default; "
            "--out evaluation, or make evaluation-example, rewrites the committed example)."
        ),
    ] = DEFAULT_OUT,
    work: Annotated[
        Path | None, typer.Option(help="Keep the simulated store and database here (default: a temporary directory).")
    ] = None,
    scenario: Annotated[
        str,
        typer.Option(
            help="realistic (random and changing opening hours, drifting occupancy, weather fronts, "
            "noise calibrated on real buildings, waste in the history, faults on waste), "
            "classic (the simulator the detector was tuned on), realistic-steady-hours (realistic, "
            "hours never change), or schedule-change (classic hours widened mid-run, no "
            "waste: every alert is false)."
        ),
    ] = "realistic",
    declare_hours: Annotated[
        bool,
        typer.Option(
            "--declare-hours",
            help="Sites declare the opening hours they have at the "
            "start (a prior that goes stale when the hours change); by default they "
            "declare none, as most real managers.",
        ),
    ] = False,
    weather: Annotated[
        str,
        typer.Option(
            help="measured (every site's gateway sends its hourly outdoor temperature, "
            "the detector uses it) or none (the detector's climate-normal proxy)."
        ),
    ] = "none",
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No progress bar or progress lines: the summary only. The bar is also hidden when stderr is not a terminal.",
        ),
    ] = False,
) -> None:
    """Run the simulator in process, run detection, and score it against the ground truth."""
    from kilowatch.evaluation.metrics import alerts_per_site_week, score
    from kilowatch.evaluation.report import write_report
    from kilowatch.evaluation.runner import pass_count, run_detection
    from kilowatch.evaluation.scenarios import SCENARIOS, change_day
    from kilowatch.evaluation.world import build_world
    from simulators import DATA_FAULT_KINDS, METER_EVENT_KINDS, WASTE_KINDS

    settings_from(ctx)
    if scenario not in SCENARIOS:
        raise typer.BadParameter(f"{scenario!r}: expected one of {', '.join(SCENARIOS)}", param_hint="--scenario")
    say = (lambda _text: None) if quiet else console.print
    waste_mix = parse_rates(mix, WASTE_KINDS, "--waste") if mix else dict.fromkeys(WASTE_KINDS, 1.0)
    fault_mix = parse_rates(faults, DATA_FAULT_KINDS + METER_EVENT_KINDS, "--fault") if faults else dict(DEFAULT_FAULTS)
    with tempfile.TemporaryDirectory() as tmp:
        directory = work or Path(tmp)
        say(f"Simulating {sites} sites ({scenario}): {history_days} days of history, then {weeks:g} weeks with events …")
        try:
            world = build_world(
                directory,
                seed=seed,
                sites=sites,
                weeks=weeks,
                history_days=history_days,
                mix=waste_mix,
                faults=fault_mix,
                scenario=scenario,
                declare_hours=declare_hours,
                weather=weather,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        say(f"Detecting: a pass every {pass_hours} simulated hours …")
        with detection_progress(console, quiet=quiet) as progress:
            task = progress.add_task("detect", total=pass_count(world, pass_hours))
            result = run_detection(
                world,
                pass_hours=pass_hours,
                training_days=history_days,
                on_pass=lambda done, total: progress.update(task, completed=done, total=total),
            )
        scores = score(
            result.alerts, world.events, site_weeks=world.site_weeks, seen=result.seen, past=[e for e, _ in world.history_events]
        )
        command = "kilowatch evaluate " + shlex.join(sys.argv[2:]) if len(sys.argv) > 2 else "kilowatch evaluate"
        setup = {
            "scenario": scenario,
            "weather": weather,
            "seed": seed,
            "sites": sites,
            "weeks": weeks,
            "history_days": history_days,
            "pass_hours": pass_hours,
            "passes": result.passes,
            "detection_s": round(result.seconds, 1),
            "mix": waste_mix if SCENARIOS[scenario].events else {},
            "faults": fault_mix if SCENARIOS[scenario].events else {},
            "history waste events (not scored)": len(world.history_events),
            "declared hours": declare_hours,
        }
        if not SCENARIOS[scenario].events:  # schedule-change: every alert is false; before and after the change
            at = change_day(world.eval_start, world.end)
            n = len(world.portfolio.sites)
            setup["alerts per site-week before the change"] = round(
                alerts_per_site_week(result.alerts, world.eval_start, at, n), 2
            )
            setup["after the change"] = round(alerts_per_site_week(result.alerts, at, world.end, n), 2)
        path = write_report(
            out, scores, result.alerts, title=f"Detection quality, {scenario} scenario, seed {seed}", command=command, setup=setup
        )
    o = scores.overall
    console.print(
        f"F1 {o.f1:.2f} (precision {o.precision:.2f}, recall {o.recall:.2f}); median delay "
        f"{scores.median_delay_h():.2f} h; kWh error {100 * scores.wasted_error:+.1f} %; "
        f"{scores.false_alerts_per_site_week:.2f} false alerts per site-week; "
        f"{scores.faults_called_waste} data faults called waste. Report: {path}"
    )
    if "after the change" in setup:
        console.print(
            f"Alerts per site-week before the change: {setup['alerts per site-week before the change']}, "
            f"after it: {setup['after the change']}."
        )


def register(app: typer.Typer) -> None:
    app.command()(evaluate)
