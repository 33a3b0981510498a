"""The fault tests' stream is deterministic by seed, and its poison is what it claims to be."""

from __future__ import annotations

from core.wire import decode
from tests.faults.stream import POISON_KINDS, Portfolio, ReadingStream

PREFIX = "t/v1"
PORTFOLIO = Portfolio.build(3, 4)


def stream(seed: int = 1, **kwargs) -> ReadingStream:
    return ReadingStream(PORTFOLIO, 12, seed, PREFIX, **kwargs)


def test_the_same_seed_gives_the_same_messages_and_another_seed_other_registers():
    assert list(stream(1).messages()) == list(stream(1).messages())
    assert [r.register for r in stream(1).readings()] != [r.register for r in stream(2).readings()]


def test_every_meter_reads_every_interval_with_a_register_that_never_falls():
    readings = stream().readings()

    assert len(readings) == PORTFOLIO.meter_count * 12
    by_meter: dict[str, list[float]] = {}
    for r in readings:
        by_meter.setdefault(r.meter_id, []).append(r.register)
    assert all(regs == sorted(regs) for regs in by_meter.values())


def test_good_messages_decode_to_exactly_their_stamps():
    for message in stream(mode="mixed").messages():
        decoded = decode(message.topic, message.payload, PREFIX)
        assert not decoded.rejections
        assert [(r.meter_id, r.ts, r.register) for r in decoded.readings] == [
            (s.meter_id, s.ts, s.register) for s in message.stamps
        ]


def test_a_poisoned_stream_carries_every_kind_and_keeps_every_good_reading():
    clean = [s for m in stream().messages() for s in m.stamps]
    poisoned = list(stream(poison_every=3).messages())

    assert {m.poison for m in poisoned if m.poison} == set(POISON_KINDS)
    assert [s for m in poisoned for s in m.stamps] == clean


def test_wire_level_poison_is_rejected_by_the_decoder():
    # Unknown meters and future timestamps decode fine: ingest's validation refuses them.
    wire_level = {"malformed_json", "nan_register", "nan_in_batch", "oversized", "site_mismatch"}
    for message in stream(poison_every=2).messages():
        if message.poison in wire_level:
            decoded = decode(message.topic, message.payload, PREFIX)
            assert len(decoded.rejections) == 1, message.poison
            assert len(decoded.readings) == len(message.stamps)
