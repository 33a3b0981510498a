"""How messages reach the broker: duplicates, late (out-of-order) messages and bad payloads, seeded and counted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from core import wire
from core.timebase import DAY
from simulators.encoding import Message

#: Kinds of bad payload, each one the ingest must dead-letter without losing the rest.
BAD_PAYLOAD_KINDS = ("malformed_json", "nan", "wrong_type", "unknown_meter", "future_ts")
#: How far a future_ts payload lies ahead of its step: ten years is "far in the future"
#: for any clock, even one the simulation runs ahead of.
FUTURE_SHIFT_S = 10 * 365 * DAY


@dataclass(frozen=True)
class DeliveryConfig:
    """Rates of delivery faults; all 0 publishes every message once, in order, well formed."""

    #: Share of messages published twice.
    duplicate_rate: float = 0.0
    #: Share of messages held back and published 1..max_late_steps steps later (so after
    #: newer readings of the same meters: out of order).
    late_rate: float = 0.0
    max_late_steps: int = 4
    #: Bad payloads published per good message, with a kind drawn from ``bad_kinds``.
    bad_payload_rate: float = 0.0
    bad_kinds: tuple[str, ...] = BAD_PAYLOAD_KINDS

    def __post_init__(self) -> None:
        for name in ("duplicate_rate", "late_rate", "bad_payload_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.max_late_steps < 1:
            raise ValueError("max_late_steps must be at least 1")
        if not self.bad_kinds or set(self.bad_kinds) - set(BAD_PAYLOAD_KINDS):
            raise ValueError(f"bad_kinds must be a non-empty subset of {BAD_PAYLOAD_KINDS}")


@dataclass
class DeliveryCounts:
    """What the delivery did, so a test can reconcile what a subscriber got."""

    #: Good messages, each counted once however often it was sent.
    messages: int = 0
    #: Extra copies published.
    duplicates: int = 0
    #: Good messages published after a later step's messages.
    late: int = 0
    #: Bad payloads published, by kind.
    bad: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"messages": self.messages, "duplicates": self.duplicates, "late": self.late, "bad": dict(self.bad)}


def bad_payload(kind: str, template: Message, batch: bool, prefix: str, serial: int) -> tuple[str, bytes]:
    """A bad message of ``kind`` modelled on a good one: same site, meter and time unless the kind changes them."""
    meter = template.meter_id
    body: dict = {"ts": wire.format_ts(template.ts), "register": template.register}
    if kind == "malformed_json":
        good = template.payload if batch else json.dumps({"v": 1, **body}).encode()
        payload = good[: max(1, len(good) // 2)]  # cut mid-message, as a dropped TCP segment would
        topic = wire.batch_topic(template.site_id, prefix) if batch else wire.reading_topic(template.site_id, meter, prefix)
        return topic, payload
    if kind == "nan":
        body["register"] = float("nan")
    elif kind == "wrong_type":
        body["register"] = str(template.register)
    elif kind == "unknown_meter":
        meter = f"{template.site_id}-unknown-{serial}"
    elif kind == "future_ts":
        body["ts"] = wire.format_ts(template.ts + FUTURE_SHIFT_S)
    else:
        raise ValueError(f"unknown bad payload kind {kind!r}")
    if batch:
        items = [{"meter": meter, **body}]
        return wire.batch_topic(template.site_id, prefix), json.dumps(
            {"v": 1, "site": template.site_id, "readings": items}
        ).encode()
    return wire.reading_topic(template.site_id, meter, prefix), json.dumps({"v": 1, **body}).encode()


class Delivery:
    """Turns each step's good messages into what is published now, holding late ones back."""

    def __init__(self, config: DeliveryConfig, seed: int, batch: bool, prefix: str) -> None:
        self.config = config
        self.batch = batch
        self.prefix = prefix
        self.counts = DeliveryCounts(bad={k: 0 for k in config.bad_kinds})
        self._rng = np.random.default_rng([seed, 0xDE11])
        self._held: dict[int, list[tuple[str, bytes]]] = {}
        self._serial = 0

    def route(self, step_index: int, messages: list[Message]) -> list[tuple[str, bytes]]:
        """Messages to publish at this step, in order."""
        c = self.config
        n = len(messages)
        self.counts.messages += n
        out: list[tuple[str, bytes]] = []
        if c.duplicate_rate == c.late_rate == c.bad_payload_rate == 0.0:
            out = [(m.topic, m.payload) for m in messages]
        else:
            u = self._rng.random((n, 3))
            delays = self._rng.integers(1, c.max_late_steps + 1, size=n)
            kinds = self._rng.integers(len(c.bad_kinds), size=n)
            for k, m in enumerate(messages):
                copies = [(m.topic, m.payload)] * (2 if u[k, 0] < c.duplicate_rate else 1)
                self.counts.duplicates += len(copies) - 1
                if u[k, 1] < c.late_rate:
                    self.counts.late += 1
                    self._held.setdefault(step_index + int(delays[k]), []).extend(copies)
                else:
                    out.extend(copies)
                if u[k, 2] < c.bad_payload_rate:
                    kind = c.bad_kinds[int(kinds[k])]
                    self._serial += 1
                    out.append(bad_payload(kind, m, self.batch, self.prefix, self._serial))
                    self.counts.bad[kind] += 1
        return out + self._held.pop(step_index, [])

    def flush(self) -> list[tuple[str, bytes]]:
        """Every message still held back, in the order it was due."""
        out = [msg for due in sorted(self._held) for msg in self._held[due]]
        self._held.clear()
        return out
