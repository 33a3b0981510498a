"""Poison mixed into a good stream: every good reading stored, every bad message dead-lettered."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.faults.stream import POISON_KINDS, Portfolio, ReadingStream
from tests.support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.services]

SEED = 909
PORTFOLIO = Portfolio.build(4, 10)
STEPS = 40
RATE = 200
#: One poison message after every this many good ones: 880 good, about 100 bad.
POISON_EVERY = 9


def expected_dead_letters(poison: Counter[str]) -> Counter[str]:
    expected: Counter[str] = Counter()
    for kind, count in poison.items():
        expected[POISON_KINDS[kind]] += count
    return expected


@pytest.fixture(scope="module")
def poisoned(module_rig):
    """A worker that took a poisoned stream; the publisher, once everything good is stored."""
    rig = module_rig
    publisher = rig.publisher()
    publisher.announce(PORTFOLIO)
    worker = rig.worker()
    worker.wait_received(len(PORTFOLIO.sites))
    publisher.start(ReadingStream(PORTFOLIO, STEPS, SEED, rig.prefix, poison_every=POISON_EVERY).messages(), RATE)
    report = rig.settle(publisher)
    return rig, worker, publisher, report


def test_every_good_reading_around_the_poison_is_stored(poisoned):
    rig, worker, publisher, report = poisoned

    assert set(publisher.poison) == set(POISON_KINDS), "the stream did not carry every kind of poison"
    assert report.clean, report.summary()
    assert worker.alive, worker.log_tail()


def test_each_poison_message_is_dead_lettered_once_with_its_reason(poisoned):
    rig, worker, publisher, _ = poisoned
    expected = expected_dead_letters(publisher.poison)

    found = wait_for(lambda: (k := rig.dead_letter_kinds()) == expected and k, timeout=30, what=f"dead letters {dict(expected)}")

    assert found == expected
    rejected = {
        k.split("reason=")[1].rstrip("}"): v
        for k, v in worker.metrics().items()
        if k.startswith("kilowatch_ingest_rejected_total{")
    }
    assert rejected == dict(expected)


def test_dead_letter_rows_carry_their_kind_in_the_kind_column(poisoned):
    rig, _, publisher, _ = poisoned
    expected = expected_dead_letters(publisher.poison)
    wait_for(lambda: rig.dead_letter_kinds() == expected, timeout=30, what="every dead letter recorded")

    kinds = Counter(kind for kind, _ in rig.dead_letter_rows())

    assert kinds == expected
