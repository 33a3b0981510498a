"""A seeded stream of meter messages for fault tests: good readings, stamped, and poison."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from core.domain import Meter, MeterCategory, Reading, Site, SiteType
from core.wire import MAX_PAYLOAD_BYTES, batch_topic, encode_batch, encode_reading, reading_topic

#: First timestamp of every stream (2026-02-25T06:13:20Z). Fixed so a seed means the same
#: readings on any day; workers under test get a ``max_age_s`` that lets it through.
BASE_TS = 1_772_000_000
#: Seconds between two readings of one meter.
INTERVAL_S = 60
#: A timestamp in 2096: "far in the future" whatever the clock of the worker says.
FUTURE_TS = 4_000_000_000

Mode = Literal["batch", "meter", "mixed"]

#: Poison kinds the stream can mix in, and the dead-letter kind ingest must file each under.
POISON_KINDS: dict[str, str] = {
    "malformed_json": "malformed_json",
    "nan_register": "bad_value",
    "nan_in_batch": "bad_value",
    "unknown_meter": "unknown_meter",
    "future_timestamp": "future_timestamp",
    "oversized": "too_large",
    "site_mismatch": "site_mismatch",
}


@dataclass(frozen=True, slots=True)
class Stamp:
    """One good reading as it was published: what the store must end up holding."""

    site_id: str
    meter_id: str
    ts: int
    register: float


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message of the stream: the readings it carries and the poison it holds, if any."""

    topic: str
    payload: bytes
    stamps: tuple[Stamp, ...] = ()
    poison: str | None = None


@dataclass(frozen=True)
class Portfolio:
    """Sites and their meters; meter ids are unique across the portfolio, as ingest requires."""

    sites: list[Site]
    meters: dict[str, list[Meter]] = field(default_factory=dict)

    @classmethod
    def build(cls, n_sites: int, meters_per_site: int, tag: str = "f") -> Portfolio:
        categories = list(MeterCategory)
        sites = [
            Site(f"{tag}site{i:03d}", f"Fault site {i}", list(SiteType)[i % 4], "Shanghai", "Shanghai", 31.2, 121.5)
            for i in range(n_sites)
        ]
        meters = {
            s.site_id: [
                # Rated 200 kW: readings rise by up to 3 kWh a minute (180 kW), and ingest refuses
                # a rise beyond a few times the rated power.
                Meter(f"{s.site_id}-m{j:02d}", s.site_id, categories[j % len(categories)], 200.0)
                for j in range(meters_per_site)
            ]
            for s in sites
        }
        return cls(sites, meters)

    @property
    def meter_count(self) -> int:
        return sum(len(m) for m in self.meters.values())


class ReadingStream:
    """Every meter reads once per interval for ``steps`` intervals; registers only go up.

    ``mode`` picks the wire shape: one gateway batch per site and step, one message per
    meter reading, or ``mixed`` (even sites batch, odd sites per meter). With
    ``poison_every`` > 0 a poison message (kinds in turn) follows every that many good ones.
    """

    def __init__(
        self,
        portfolio: Portfolio,
        steps: int,
        seed: int,
        prefix: str,
        *,
        mode: Mode = "mixed",
        poison_every: int = 0,
        start_ts: int = BASE_TS,
    ) -> None:
        self.portfolio = portfolio
        self.steps = steps
        self.seed = seed
        self.prefix = prefix
        self.mode = mode
        self.poison_every = poison_every
        self.start_ts = start_ts

    @property
    def end_ts(self) -> int:
        """One past the last timestamp of the stream."""
        return self.start_ts + self.steps * INTERVAL_S

    def readings(self) -> list[Reading]:
        """Every good reading, step by step (so each meter's readings are in time order)."""
        rng = random.Random(self.seed)
        meters = [m for site in self.portfolio.sites for m in self.portfolio.meters[site.site_id]]
        registers = {m.meter_id: round(rng.uniform(100.0, 50_000.0), 3) for m in meters}
        out: list[Reading] = []
        for step in range(self.steps):
            ts = self.start_ts + step * INTERVAL_S
            for m in meters:
                if step:
                    # Some intervals draw nothing: a zero delta must be stored as 0.0, not skipped.
                    registers[m.meter_id] = round(registers[m.meter_id] + rng.choice([0.0, rng.uniform(0.001, 3.0)]), 3)
                out.append(Reading(m.site_id, m.meter_id, ts, registers[m.meter_id]))
        return out

    def messages(self) -> Iterator[Message]:
        """The messages in publishing order, poison mixed in."""
        rng = random.Random(self.seed + 1)
        kinds = self._poison_kinds()
        good = 0
        poisoned = 0
        for message in self._good_messages():
            if kinds and self.poison_every and good and good % self.poison_every == 0:
                kind = kinds[poisoned % len(kinds)]
                poisoned += 1
                if kind == "nan_in_batch" and message.topic.endswith("/batch"):
                    message = _with_nan_item(message)
                else:
                    # A per-meter message cannot hide a bad item: send a bad reading instead.
                    yield self._poison("nan_register" if kind == "nan_in_batch" else kind, message, rng)
            good += 1
            yield message

    def _poison_kinds(self) -> list[str]:
        kinds = list(POISON_KINDS)
        if self.mode == "meter":
            kinds.remove("nan_in_batch")  # there is no batch to hide it in
        return kinds

    def _good_messages(self) -> Iterator[Message]:
        by_step: dict[int, dict[str, list[Reading]]] = {}
        for r in self.readings():
            by_step.setdefault(r.ts, {}).setdefault(r.site_id, []).append(r)
        for ts in sorted(by_step):
            for index, site in enumerate(self.portfolio.sites):
                readings = by_step[ts].get(site.site_id, [])
                if self.mode == "batch" or (self.mode == "mixed" and index % 2 == 0):
                    yield Message(batch_topic(site.site_id, self.prefix), encode_batch(site.site_id, readings), _stamps(readings))
                else:
                    for r in readings:
                        yield Message(reading_topic(r.site_id, r.meter_id, self.prefix), encode_reading(r), _stamps([r]))

    def _poison(self, kind: str, near: Message, rng: random.Random) -> Message:
        """A bad message on the site of ``near``, carrying no good reading."""
        stamp = near.stamps[0]
        site, meter = stamp.site_id, stamp.meter_id
        body = {"v": 1, "ts": stamp.ts, "register": stamp.register}
        if kind == "malformed_json":
            payload = b'{"v": 1, "ts": ' + str(stamp.ts).encode() + b', "register": '
            return Message(reading_topic(site, meter, self.prefix), payload, poison=kind)
        if kind == "nan_register":
            return Message(
                reading_topic(site, meter, self.prefix), json.dumps(body | {"register": float("nan")}).encode(), poison=kind
            )
        if kind == "unknown_meter":
            ghost = f"{site}-ghost{rng.randrange(1000):03d}"
            return Message(reading_topic(site, ghost, self.prefix), json.dumps(body).encode(), poison=kind)
        if kind == "future_timestamp":
            return Message(reading_topic(site, meter, self.prefix), json.dumps(body | {"ts": FUTURE_TS}).encode(), poison=kind)
        if kind == "oversized":
            padding = "x" * (MAX_PAYLOAD_BYTES + 1024)
            return Message(reading_topic(site, meter, self.prefix), json.dumps(body | {"pad": padding}).encode(), poison=kind)
        if kind == "site_mismatch":
            other = next(s.site_id for s in self.portfolio.sites if s.site_id != site)
            payload = json.dumps({"v": 1, "site": other, "readings": [{"meter": meter, **body}]}).encode()
            return Message(batch_topic(site, self.prefix), payload, poison=kind)
        raise ValueError(f"unknown poison kind {kind!r}")


def _stamps(readings: list[Reading]) -> tuple[Stamp, ...]:
    return tuple(Stamp(r.site_id, r.meter_id, r.ts, r.register) for r in readings)


def _with_nan_item(message: Message) -> Message:
    """The same gateway batch with one extra item whose register is NaN."""
    body = json.loads(message.payload)
    first = body["readings"][0]
    body["readings"].append({"meter": first["meter"], "ts": message.stamps[0].ts + 1, "register": float("nan")})
    return Message(message.topic, json.dumps(body).encode(), message.stamps, poison="nan_in_batch")
