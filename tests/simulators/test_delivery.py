"""Message delivery: fast encoding equals core.wire; duplicates, late messages and bad payloads are seeded and counted."""

from __future__ import annotations

import json

import pytest

from core import wire
from simulators import BAD_PAYLOAD_KINDS, DeliveryConfig, build_portfolio, generate
from simulators.delivery import Delivery
from simulators.encoding import StepEncoder
from tests.simulators.common import DAY, JUNE_1

PORTFOLIO = build_portfolio(4, seed=8)
PREFIX = "kilowatch/v1"


def steps(n: int = 24):
    gen = generate(PORTFOLIO, JUNE_1, JUNE_1 + DAY, seed=2)
    return gen, [gen.next_step() for _ in range(n)]


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per-meter"])
def test_the_step_encoder_writes_the_same_bytes_as_core_wire(batch):
    gen, [first, second] = steps(2)
    for step in (first, second):
        readings = gen.readings(step)
        encoded = StepEncoder(gen, batch, PREFIX).encode(step)
        if batch:
            expected = [
                (
                    wire.batch_topic(s.site_id, PREFIX),
                    wire.encode_batch(s.site_id, [r for r in readings if r.site_id == s.site_id]),
                )
                for s in PORTFOLIO.sites
            ]
        else:
            expected = [(wire.reading_topic(r.site_id, r.meter_id, PREFIX), wire.encode_reading(r)) for r in readings]
        assert [(m.topic, m.payload) for m in encoded] == expected


def route_all(config: DeliveryConfig, seed: int = 1, batch: bool = False):
    gen, all_steps = steps()
    encoder = StepEncoder(gen, batch, PREFIX)
    delivery = Delivery(config, seed, batch, PREFIX)
    sent = [msg for i, step in enumerate(all_steps) for msg in delivery.route(i, encoder.encode(step))]
    return sent + delivery.flush(), delivery.counts, [m for s in all_steps for m in encoder.encode(s)]


def test_without_delivery_faults_every_message_is_sent_once_in_order():
    sent, counts, good = route_all(DeliveryConfig())
    assert sent == [(m.topic, m.payload) for m in good]
    assert counts.duplicates == counts.late == sum(counts.bad.values()) == 0


def test_duplicates_appear_at_their_rate_and_are_exact_copies():
    sent, counts, good = route_all(DeliveryConfig(duplicate_rate=0.1))
    assert len(sent) == len(good) + counts.duplicates
    assert 0.07 * len(good) <= counts.duplicates <= 0.13 * len(good)
    assert sorted(set(sent)) == sorted({(m.topic, m.payload) for m in good})


def test_late_messages_arrive_after_newer_readings_of_the_same_meter():
    sent, counts, good = route_all(DeliveryConfig(late_rate=0.1, max_late_steps=3))
    assert sorted(sent) == sorted((m.topic, m.payload) for m in good)
    assert 0.07 * len(good) <= counts.late <= 0.13 * len(good)
    last_ts: dict[str, str] = {}
    out_of_order = 0
    for topic, payload in sent:
        ts = json.loads(payload)["ts"]
        out_of_order += ts < last_ts.get(topic, "")
        last_ts[topic] = max(ts, last_ts.get(topic, ""))
    # A late message overtaken by nothing (the last steps, or its successor late too) stays in order.
    assert 0.85 * counts.late <= out_of_order <= counts.late


def test_the_same_seed_gives_the_same_duplicates_and_late_messages_and_another_seed_does_not():
    config = DeliveryConfig(duplicate_rate=0.05, late_rate=0.05, bad_payload_rate=0.02)
    assert route_all(config, seed=4)[0] == route_all(config, seed=4)[0]
    assert route_all(config, seed=4)[0] != route_all(config, seed=5)[0]


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per-meter"])
def test_bad_payloads_appear_at_their_rate_and_each_is_counted_by_kind(batch):
    sent, counts, good = route_all(DeliveryConfig(bad_payload_rate=0.2), batch=batch)
    good_set = {(m.topic, m.payload) for m in good}
    bad = [msg for msg in sent if msg not in good_set]
    assert len(bad) == sum(counts.bad.values())
    assert 0.12 * len(good) <= len(bad) <= 0.28 * len(good)
    assert set(counts.bad) == set(BAD_PAYLOAD_KINDS) and all(counts.bad.values())


@pytest.mark.parametrize("kind", BAD_PAYLOAD_KINDS)
@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per-meter"])
def test_each_bad_payload_kind_is_one_the_ingest_must_refuse(kind, batch):
    sent, counts, good = route_all(DeliveryConfig(bad_payload_rate=0.5, bad_kinds=(kind,)), batch=batch)
    good_set = {(m.topic, m.payload) for m in good}
    known = {m.meter_id for m in PORTFOLIO.all_meters()}
    horizon = JUNE_1 + 2 * DAY
    for topic, payload in (msg for msg in sent if msg not in good_set):
        decoded = wire.decode(topic, payload, PREFIX)
        if kind in {"malformed_json", "nan", "wrong_type"}:
            assert decoded.rejections and not decoded.readings
        elif kind == "unknown_meter":
            assert [r.meter_id in known for r in decoded.readings] == [False]
        else:
            assert [r.ts > horizon + 365 * DAY for r in decoded.readings] == [True]


def test_rates_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError):
        DeliveryConfig(duplicate_rate=1.5)
    with pytest.raises(ValueError):
        DeliveryConfig(bad_kinds=("gibberish",))
