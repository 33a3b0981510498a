"""Publishes a simulated portfolio over MQTT: retained meta announcements, then readings at QoS 1."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

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


class _Bar:
    """The progress bar of a run (``rich``), or nothing when progress is off."""

    def __init__(self, enabled: bool, sites: int, steps: int) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[readings]:,} readings · {task.fields[rate]:,.0f}/s"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            self._task = self._progress.add_task(f"{sites} sites", total=steps, readings=0, rate=0.0)

    def __enter__(self) -> _Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def step(self, readings: int, began: float) -> None:
        if self._progress is not None and self._task is not None:
            rate = readings / max(1e-9, time.monotonic() - began)
            self._progress.update(self._task, advance=1, readings=readings, rate=rate)

    def say(self, description: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=description)


class _Pacer:
    """Holds steps back to ``speed`` simulated seconds per wall-clock second from ``live_from`` on.

    ``speed`` None: as fast as the broker takes them; before ``live_from``: backfilled.
    """

    def __init__(self, link: Link, speed: float | None, live_from: int | None, step_s: int) -> None:
        self._link = link
        self._speed = speed
        self._live_from = live_from
        self._step_s = step_s
        self._from: tuple[int, float] | None = None  # (step index, wall time) where pacing began

    def wait(self, i: int, ts: int) -> None:
        """Wait until step ``i`` (stamped ``ts``) is due."""
        if self._speed is None or (self._live_from is not None and ts < self._live_from):
            return
        if self._from is None:
            self._from = (i, time.monotonic())
        self._link.idle_until(self._from[1] + (i - self._from[0]) * self._step_s / self._speed)


@dataclass
class _Tally:
    """Good readings published, and those ingest will refuse for their timestamp (``accepted_window_s``)."""

    window_s: tuple[int, int] | None
    readings: int = 0
    ahead: int = 0
    too_old: int = 0

    def add(self, in_step: int, ts: int) -> None:
        self.readings += in_step
        if self.window_s is not None:
            # Ingest judges a reading by its arrival; a step's readings leave now.
            wall = time.time()
            self.ahead += in_step if ts > wall + self.window_s[1] else 0
            self.too_old += in_step if ts < wall - self.window_s[0] else 0


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


def _announce(link: Link, portfolio: Portfolio, start: int, declare_hours: bool, prefix: str) -> None:
    """Publish each site's retained meta announcement, and wait until the broker has them all."""
    for site in portfolio.sites:
        announced = announced_site(site, at=start) if declare_hours else site
        link.publish(
            wire.meta_topic(site.site_id, prefix), wire.encode_meta(announced, portfolio.meters[site.site_id]), retain=True
        )
    link.drain()  # announcements are on the broker before the first reading


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
    pacer = _Pacer(link, speed, live_from, step_s)
    tally = _Tally(accepted_window_s)
    began = time.monotonic()
    link.connect()
    stopped = False
    try:
        _announce(link, portfolio, start, declare_hours, prefix)
        with _Bar(progress, len(portfolio.sites), generation.n_steps) as bar:
            for i in range(generation.n_steps):
                ts = generation.start + i * step_s
                pacer.wait(i, ts)
                if stop.is_set():
                    stopped = True
                    break
                messages = encoder.encode(generation.next_step())
                for topic, payload in router.route(i, messages):
                    link.publish(topic, payload)
                for topic, payload in _weather_messages(generation, i, prefix) if weather else []:
                    link.publish(topic, payload)
                tally.add(sum(m.readings for m in messages), ts)
                link.pump()
                bar.step(tally.readings, began)
            for topic, payload in router.flush():
                link.publish(topic, payload)
            bar.say("waiting for PUBACKs")
            link.drain()
    finally:
        link.close()
    events = generation.events()
    if ground_truth_path is not None:
        write_ground_truth(ground_truth_path, events)
        delivery_path(ground_truth_path).write_text(json.dumps(router.counts.as_dict(), indent=2) + "\n", encoding="utf-8")
    return SimulationResult(
        readings_published=tally.readings,
        messages_published=link.sent,
        events=events,
        stopped_early=stopped,
        rejected_by_broker=link.rejected,
        acknowledged=link.acked,
        readings_ahead=tally.ahead,
        readings_too_old=tally.too_old,
        delivery=router.counts,
        elapsed_s=time.monotonic() - began,
    )
