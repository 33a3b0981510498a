"""Registers no meter can reach, mixed into a good stream, are dead-lettered one by one while
every good reading of every site is stored with exact energy, through a restart.

Before, the first of them (5.0 then 1.7e308: finite, so valid) made the writer thread raise
OverflowError: no message of any site was acknowledged again, and after a restart the
redelivered message stopped the next run the same way.
"""

from __future__ import annotations

import pytest

from core.domain import Reading
from core.wire import encode_reading, reading_topic
from tests.faults.stream import Message, Portfolio, ReadingStream
from tests.support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.services]

SEED = 2718
PORTFOLIO = Portfolio.build(3, 8, tag="jump")
STEPS = 30
RATE = 200
#: A bad register after every this many good messages: 720 good, 48 bad.
BAD_EVERY = 15


def with_bad_registers(messages: list[Message], prefix: str) -> list[Message]:
    """The stream with a bad reading of a meter just before one of its good ones, in turn a
    register of 1.7e308 and a rise of 999,948 kWh in under a minute (the meters are rated 200 kW)."""
    out: list[Message] = []
    for i, message in enumerate(messages):
        if i >= PORTFOLIO.meter_count and i % BAD_EVERY == 0:  # every meter has a reading by then
            stamp = message.stamps[0]
            register = 1.7e308 if (i // BAD_EVERY) % 2 else stamp.register + 999_948.0
            bad = Reading(stamp.site_id, stamp.meter_id, stamp.ts - 1, register)
            out.append(
                Message(reading_topic(stamp.site_id, stamp.meter_id, prefix), encode_reading(bad), poison="implausible_register")
            )
        out.append(message)
    return out


def test_bad_registers_are_dead_lettered_alone_and_every_site_keeps_flowing_through_a_restart(rig):
    publisher = rig.publisher()
    publisher.announce(PORTFOLIO)
    first = rig.worker("first")
    first.wait_received(len(PORTFOLIO.sites))
    messages = with_bad_registers(list(ReadingStream(PORTFOLIO, STEPS, SEED, rig.prefix, mode="meter").messages()), rig.prefix)
    half = len(messages) // 2
    publisher.publish_all(messages[:half])
    wait_for(
        lambda: first.metric("kilowatch_ingest_acked_messages_total") >= half + len(PORTFOLIO.sites),
        timeout=60,
        interval=0.2,
        what="the first half acknowledged",
    )
    assert first.terminate() == 0

    second = rig.worker("second")  # same client id: the session's redeliveries come here
    publisher.publish_all(messages[half:])
    report = rig.settle(publisher)

    assert report.clean, report.summary()
    bad = publisher.poison["implausible_register"]
    assert bad == len(messages) - len([m for m in messages if m.stamps]) >= 40
    assert rig.dead_letter_kinds() == {"implausible_register": bad}
    assert first.process.returncode == 0 and second.alive, rig.logs()
