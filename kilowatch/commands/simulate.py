"""``kilowatch simulate``."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

from core.timebase import DAY, HOME_TIMEZONE, HOME_ZONE
from kilowatch.context import console, local_midnight, settings_from
from kilowatch.rates import RATE_SYNTAX, parse_rates

if TYPE_CHECKING:
    from simulators.publisher import SimulationResult


class Window(NamedTuple):
    """What to publish: readings from ``first`` for ``days``; paced from ``live_from`` when set."""

    first: int
    days: float
    live_from: int | None
    #: Why the asked range was shortened, for the user; "" when it was not.
    note: str = ""


def window(days: float, start: date | None, step_s: int, live: bool, now: float) -> Window:
    """The readings to publish: a backfill is the ``days`` before ``now``, never after it.

    Ingest refuses readings stamped more than ``ingest.max_future_s`` ahead, so a
    backfill that ran past now was mostly dead letters. Live mode backfills up to now
    and paces from there. Raises ``typer.BadParameter`` for a ``start`` after now.
    """
    today = datetime.fromtimestamp(now, HOME_ZONE).date()
    midnight = local_midnight(today)
    latest = midnight + int(now - midnight) // step_s * step_s  # the newest step not after now
    if start is None:
        if live:
            return Window(latest, days, latest)
        steps = max(1, round(days * DAY / step_s))
        return Window(latest - (steps - 1) * step_s, steps * step_s / DAY, None)
    first = local_midnight(start)
    if first > now:
        raise typer.BadParameter(
            f"{start} is after now: readings from the future are refused by ingest (use no --start for the days before now)",
            param_hint="--start",
        )
    if live:
        return Window(first, days, latest)
    if first + days * DAY <= latest + step_s:
        return Window(first, days, None)
    steps = (latest - first) // step_s + 1
    return Window(
        first,
        steps * step_s / DAY,
        None,
        f"Backfill ends now: {steps * step_s / DAY:.1f} of the {days:g} days asked from {start}.",
    )


def simulate(
    ctx: typer.Context,
    sites: Annotated[int, typer.Option(help="Number of simulated sites.", min=1)] = 10,
    days: Annotated[
        float,
        typer.Option(help="Simulated days to publish (365 for a year of history); a backfill is the days before now.", min=0.01),
    ] = 1.0,
    start: Annotated[
        str | None,
        typer.Option(
            help=f"First simulated day, YYYY-MM-DD ({HOME_TIMEZONE}), not after today; a backfill still ends now. Default: --days before now."
        ),
    ] = None,
    speed: Annotated[
        float | None,
        typer.Option(
            help="Live mode: simulated seconds per wall second (60 = an hour a minute). Omit to backfill as fast as the broker takes it."
        ),
    ] = None,
    step: Annotated[int, typer.Option(help="Seconds between readings of a meter (60 to 86400).", min=60, max=86400)] = 900,
    per_meter: Annotated[
        bool, typer.Option("--per-meter", help="One message per meter reading instead of one gateway batch per site and step.")
    ] = False,
    seed: Annotated[
        int, typer.Option(help="Seed: the same seed publishes the same sites, readings, events and delivery faults.")
    ] = 0,
    meter_scale: Annotated[
        float, typer.Option(help="Multiply the meters of each site (1 gives ~14 a site, 3.5 gives ~48).", min=0.1)
    ] = 1.0,
    no_waste: Annotated[bool, typer.Option("--no-waste", help="Inject no waste (faults from --fault still apply).")] = False,
    waste: Annotated[
        list[str] | None,
        typer.Option(
            "--waste",
            help=f"Waste events per site-week for a kind ({RATE_SYNTAX}); replaces the default mix of 0.3 for every kind. Kinds: lights_daylight, lights_after_hours, hvac_after_hours, pump_night, base_load_creep, elevator_idle, compressed_air_leak.",
        ),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help=f"Data faults or meter events per meter-week ({RATE_SYNTAX}). Kinds: stuck_register, spike, dropout, register_rollover, register_reset. Default: none.",
        ),
    ] = None,
    duplicates: Annotated[float, typer.Option(help="Share of messages published twice (0-1).", min=0.0, max=1.0)] = 0.0,
    late: Annotated[
        float,
        typer.Option(
            help="Share of messages held back 1..--max-late-steps steps, so they arrive out of order (0-1).", min=0.0, max=1.0
        ),
    ] = 0.0,
    max_late_steps: Annotated[int, typer.Option(help="Longest delay of a late message, in steps.", min=1)] = 4,
    bad_payloads: Annotated[
        float,
        typer.Option(
            help="Bad payloads per good message (malformed JSON, NaN, wrong types, unknown meter, future timestamp), 0-1.",
            min=0.0,
            max=1.0,
        ),
    ] = 0.0,
    ground_truth: Annotated[
        Path | None,
        typer.Option(
            help="Write the injected events (ground truth) to PATH.csv and PATH.json, and delivery counts to PATH.delivery.json."
        ),
    ] = None,
    declare_hours: Annotated[
        bool,
        typer.Option(
            "--declare-hours",
            help="Each site's meta announcement declares its opening hours (most real managers declare none; the detector learns them either way).",
        ),
    ] = False,
    weather: Annotated[
        str,
        typer.Option(
            help="measured: each site's gateway also publishes its hourly outdoor temperature "
            "(the weather topic); none: readings only."
        ),
    ] = "none",
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    host: Annotated[str | None, typer.Option(help="MQTT broker host.")] = None,
    mqtt_port: Annotated[int | None, typer.Option("--mqtt-port", help="MQTT broker port.")] = None,
) -> None:
    """Publish simulated property sites to an MQTT broker, with labelled waste, faults and delivery faults."""
    from simulators import (
        DATA_FAULT_KINDS,
        DEFAULT_MIX,
        METER_EVENT_KINDS,
        WASTE_KINDS,
        DeliveryConfig,
        build_portfolio,
        plan_scenarios,
        run_simulation,
    )

    if weather not in ("none", "measured"):
        raise typer.BadParameter(f"{weather!r}: expected measured or none", param_hint="--weather")
    mix = {} if no_waste else (parse_rates(waste, WASTE_KINDS, "--waste") if waste else dict(DEFAULT_MIX))
    faults = parse_rates(fault, DATA_FAULT_KINDS + METER_EVENT_KINDS, "--fault")
    settings = settings_from(ctx, mqtt={"host": host, "port": mqtt_port})
    try:
        first_day = date.fromisoformat(start) if start else None
    except ValueError:
        raise typer.BadParameter(f"{start!r} is not a date YYYY-MM-DD", param_hint="--start") from None
    span = window(days, first_day, step, speed is not None, time.time())
    if span.note:
        console.print(span.note)
    if speed is not None and speed > 1:
        console.print(
            f"At {speed:g}x the readings run ahead of the clock; ingest refuses those more than "
            f"{settings.ingest.max_future_s:,} s ahead (ingest.max_future_s; kilowatch demo raises it)."
        )
    portfolio = build_portfolio(sites, seed, meter_scale=meter_scale)
    begin, days = span.first, span.days
    end = begin + int(round(days * DAY))
    events = plan_scenarios(portfolio, begin, end, mix=mix, faults=faults, seed=seed, step_s=step)
    # The simulator is its own MQTT client; it must never take over the ingest's client id.
    mqtt = settings.mqtt.model_copy(update={"client_id": f"kilowatch-simulator-{seed}"})
    result = run_simulation(
        mqtt,
        portfolio,
        begin,
        days,
        step_s=step,
        waste=events,
        seed=seed,
        speed=speed,
        batch=not per_meter,
        ground_truth_path=ground_truth,
        progress=progress,
        delivery=DeliveryConfig(
            duplicate_rate=duplicates, late_rate=late, max_late_steps=max_late_steps, bad_payload_rate=bad_payloads
        ),
        live_from=span.live_from,
        accepted_window_s=(settings.ingest.max_age_s, settings.ingest.max_future_s),
        declare_hours=declare_hours,
        weather=weather == "measured",
    )
    counts = result.delivery
    rate = result.readings_published / result.elapsed_s if result.elapsed_s else 0.0
    console.print(
        f"Published {result.readings_published:,} readings in {result.messages_published:,} messages "
        f"({rate:,.0f} readings/s); {len(result.events)} events injected; "
        f"{counts.duplicates:,} duplicates, {counts.late:,} late, {sum(counts.bad.values()):,} bad payloads."
    )
    if not report_refusals(result, settings.ingest.max_future_s):
        raise typer.Exit(1)


def report_refusals(result: SimulationResult, max_future_s: int) -> bool:
    """Print what the broker acknowledged and refused and what ingest will refuse; True when nothing was."""
    refused = result.readings_ahead + result.readings_too_old
    console.print(
        f"Broker: {result.acknowledged:,} of {result.messages_published:,} messages acknowledged, "
        f"{result.rejected_by_broker:,} refused (a refusal needs MQTT 5; a 3.1.1 broker can only disconnect)."
    )
    # Ingest publishes no rejections; these are the readings its time window refuses on arrival.
    console.print(
        f"Ingest will refuse {refused:,} of the readings for their time stamps "
        f"({result.readings_ahead:,} more than {max_future_s:,} s ahead: future_timestamp; "
        f"{result.readings_too_old:,} too old); it counts each refusal in kilowatch_ingest_rejected_total{{reason}} "
        f"and its dead letters."
    )
    unacknowledged = result.messages_published - result.acknowledged
    ok = refused == 0 and result.rejected_by_broker == 0 and (unacknowledged == 0 or result.stopped_early)
    if not ok:
        console.print("[red]Not everything published will be stored.[/red]")
    return ok


def register(app: typer.Typer) -> None:
    app.command()(simulate)
