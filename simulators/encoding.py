"""Fast wire-format encoding of a whole step straight from its columns (byte-identical to core.wire)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import wire
from simulators.generator import Generation, Step


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message of a step, and the first reading in it (a model for bad payloads)."""

    topic: str
    payload: bytes
    site_id: str
    meter_id: str
    ts: int
    register: float
    readings: int


class StepEncoder:
    """Encodes steps of a Generation as per-meter messages or gateway batches.

    Builds the JSON text with precomputed pieces instead of json.dumps per reading:
    ids are valid ids (nothing to escape) and floats print as json.dumps prints them
    (``repr``), so the bytes equal ``core.wire.encode_reading`` / ``encode_batch``.
    """

    def __init__(self, generation: Generation, batch: bool, prefix: str) -> None:
        self.batch = batch
        self.site_of_meter = generation.site_of_meter
        self.meter_ids = generation.meter_ids
        self.site_ids = [s.site_id for s in generation.portfolio.sites]
        if batch:
            self._topics = [wire.batch_topic(s, prefix) for s in self.site_ids]
            self._item_heads = [f'{{"meter": "{m}", "ts": "' for m in self.meter_ids]
        else:
            self._topics = [wire.reading_topic(s, m, prefix) for s, m in zip(generation.site_ids, self.meter_ids, strict=True)]

    def encode(self, step: Step) -> list[Message]:
        """The step's messages: one per site (batch) or one per meter reading."""
        ts = wire.format_ts(step.ts)
        regs = step.register.tolist()
        powers = [None if p != p else p for p in step.power.tolist()]
        meters = step.meters.tolist()
        tails = [
            f'", "register": {r!r}, "power": {p!r}}}' if p is not None else f'", "register": {r!r}}}'
            for r, p in zip(regs, powers, strict=True)
        ]
        if not self.batch:
            topics, ids = self._topics, self.meter_ids
            site_of = self.site_of_meter
            return [
                Message(topics[m], f'{{"v": 1, "ts": "{ts}{tail}'.encode(), self.site_ids[site_of[m]], ids[m], step.ts, r, 1)
                for m, r, tail in zip(meters, regs, tails, strict=True)
            ]
        out: list[Message] = []
        sites = self.site_of_meter[step.meters]
        bounds = [0, *(np.flatnonzero(np.diff(sites)) + 1).tolist(), len(meters)]
        heads = self._item_heads
        for a, b in zip(bounds, bounds[1:], strict=False):
            if a == b:
                continue
            site = int(sites[a])
            items = ", ".join(heads[meters[k]] + ts + tails[k] for k in range(a, b))
            payload = f'{{"v": 1, "site": "{self.site_ids[site]}", "readings": [{items}]}}'.encode()
            out.append(
                Message(self._topics[site], payload, self.site_ids[site], self.meter_ids[meters[a]], step.ts, regs[a], b - a)
            )
        return out
