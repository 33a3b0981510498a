"""Publishes a simulated portfolio over MQTT: retained meta announcements, then readings at QoS 1."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from core import wire
from core.settings import MqttSettings
from core.timebase import DAY
from core.wire_weather import encode_weather, weather_topic
from simulators.declared import announced_site
from simulators.delivery import Delivery, DeliveryConfig, DeliveryCounts
from simulators.encoding import StepEncoder
from simulators.generator import generate
from simulators.link import Link
from simulators.planning import DEFAULT_MIX, plan_scenarios
from simulators.portfolio import Portfolio
from simulators.waste import WasteEvent, write_ground_truth
from simulators.weather import hourly_temperatures


@dataclass(frozen=True)
class SimulationResult:
    """What a run published, and the ground truth of the events it injected."""

    #: Good readings published (each once, however often its message was sent).
    readings_published: int
    #: Every message sent: announcements, good ones, duplicates and bad payloads.
    messages_published: int
    events: list[tuple[WasteEvent, float]] = field(default_factory=list)
    #: True when ``stop`` ended the run before the last step.
    stopped_early: bool = False
    #: PUBACKs carrying an MQTT 5 failure reason (e.g. not authorised to publish).
    rejected_by_broker: int = 0
    #: PUBACKs received (success or failure): equal to ``messages_published`` after a full run.
    acknowledged: int = 0
    #: Good readings stamped, when published, further ahead than ingest accepts (``future_timestamp``).
    readings_ahead: int = 0
    #: Good readings stamped, when published, longer ago than ingest accepts (``too_old``).
    readings_too_old: int = 0
    #: Duplicates, late messages and bad payloads, as counted while publishing.
    delivery: DeliveryCounts = field(default_factory=DeliveryCounts)
    #: Wall-clock seconds from connecting to the last PUBACK.
    elapsed_s: float = 0.0


def _progress(enabled: bool) -> Progress | contextlib.nullcontext:
    if not enabled:
        return contextlib.nullcontext()
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[readings]:,} readings · {task.fields[rate]:,.0f}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


def delivery_path(ground_truth_path: str | Path) -> Path:
    """Where the delivery counts go next to a ground truth: ``<base>.delivery.json``."""
    base = Path(ground_truth_path)
    if base.suffix in {".csv", ".json"}:
        base = base.with_suffix("")
    return base.with_name(base.name + ".delivery.json")


def _weather_messages(generation, i: int, prefix: str) -> list[tuple[str, bytes]]:
    """The weather of the hour that step ``i`` closes, one message per site; none mid-hour."""
    ts = generation.start + i * generation.step_s
    hour = ts // 3600 * 3600 - 3600
    if ts % 3600 >= generation.step_s or hour < generation.start:
        return []
    ((_, temps),) = hourly_temperatures(generation.sites, hour, hour + 1)
    return [
        (weather_topic(site.site_id, prefix), encode_weather([(hour, float(t))]))
        for site, t in zip(generation.sites.sites, temps, strict=True)
    ]


def run_simulation(
    mqtt: MqttSettings,
    portfolio: Portfolio,
    start: int,
    days: float,
    *,
    step_s: int = 900,
    waste: list[WasteEvent] | None = None,
    seed: int = 0,
    speed: float | None = None,
    batch: bool = True,
    ground_truth_path: str | Path | None = None,
    progress: bool = True,
    stop: threading.Event | None = None,
    live_from: int | None = None,
    delivery: DeliveryConfig | None = None,
    accepted_window_s: tuple[int, int] | None = None,
    declare_hours: bool = False,
    weather: bool = False,
) -> SimulationResult:
    """Simulate ``days`` from ``start`` and publish it; returns once the broker has acknowledged all.

    ``waste`` None plans the default scenario mix (``plan_scenarios``); pass ``[]`` for
    none. ``speed`` None backfills as fast as the broker takes it; N plays N simulated
    seconds per wall-clock second; with ``live_from`` the steps before it are
    backfilled and pacing starts there, so registers run on unbroken. ``delivery``
    adds duplicates, late messages and bad payloads (default: none). Raises
    ConnectionError or TimeoutError when the broker is unreachable or stops
    acknowledging (both worth a retry).

    The simulator reaches ingest only over MQTT and ingest publishes no rejections, so
    with ``accepted_window_s`` = (max age, max future) of the ingest it is publishing to,
    the readings that ingest will refuse for their timestamp are counted as they are sent.
    ``declare_hours``: each site's announcement declares its opening hours (``simulators.declared``).
    With ``weather`` each site's gateway also publishes its outdoor temperature once an hour,
    for the hour just ended, on the weather topic.
    """
    if speed is not None and speed <= 0:
        raise ValueError("speed must be positive or None")
    end = int(start) + int(round(days * DAY))
    if waste is None:
        waste = plan_scenarios(portfolio, start, end, DEFAULT_MIX, seed=seed, step_s=step_s)
    stop = stop or threading.Event()
    prefix = mqtt.topic_prefix
    generation = generate(portfolio, start, end, step_s=step_s, waste=waste, seed=seed)
    encoder = StepEncoder(generation, batch, prefix)
    router = Delivery(delivery or DeliveryConfig(), seed, batch, prefix)
    link = Link(mqtt, stop)
    began = time.monotonic()
    link.connect()
    readings = ahead = too_old = 0
    stopped = False
    try:
        for site in portfolio.sites:
            announced = announced_site(site, at=start) if declare_hours else site
            link.publish(
                wire.meta_topic(site.site_id, prefix), wire.encode_meta(announced, portfolio.meters[site.site_id]), retain=True
            )
        link.drain()  # announcements are on the broker before the first reading
        paced_from: tuple[int, float] | None = None  # (step index, wall time) where pacing began
        with _progress(progress) as bar:
            task = bar.add_task(f"{len(portfolio.sites)} sites", total=generation.n_steps, readings=0, rate=0.0) if bar else None
            for i in range(generation.n_steps):
                if speed is not None and (live_from is None or generation.start + i * step_s >= live_from):
                    if paced_from is None:
                        paced_from = (i, time.monotonic())
                    link.idle_until(paced_from[1] + (i - paced_from[0]) * step_s / speed)
                if stop.is_set():
                    stopped = True
                    break
                messages = encoder.encode(generation.next_step())
                for topic, payload in router.route(i, messages):
                    link.publish(topic, payload)
                if weather:
                    for topic, payload in _weather_messages(generation, i, prefix):
                        link.publish(topic, payload)
                in_step = sum(m.readings for m in messages)
                readings += in_step
                if accepted_window_s is not None:
                    # Ingest judges a reading by its arrival; a step's readings leave now.
                    ts, wall = generation.start + i * step_s, time.time()
                    ahead += in_step if ts > wall + accepted_window_s[1] else 0
                    too_old += in_step if ts < wall - accepted_window_s[0] else 0
                link.pump()
                if bar is not None:
                    bar.update(task, advance=1, readings=readings, rate=readings / max(1e-9, time.monotonic() - began))
            for topic, payload in router.flush():
                link.publish(topic, payload)
            if bar is not None:
                bar.update(task, description="waiting for PUBACKs")
            link.drain()
    finally:
        link.close()
    events = generation.events()
    if ground_truth_path is not None:
        write_ground_truth(ground_truth_path, events)
        delivery_path(ground_truth_path).write_text(json.dumps(router.counts.as_dict(), indent=2) + "\n", encoding="utf-8")
    return SimulationResult(
        readings_published=readings,
        messages_published=link.sent,
        events=events,
        stopped_early=stopped,
        rejected_by_broker=link.rejected,
        acknowledged=link.acked,
        readings_ahead=ahead,
        readings_too_old=too_old,
        delivery=router.counts,
        elapsed_s=time.monotonic() - began,
    )
