"""Three workers in one MQTT 5 shared subscription, one killed and one added under load.

Readings of one meter reach different workers, so this is where energy computed from
consecutive registers is most at risk: one scenario run, checked for losslessness and
for energy sums.

Mosquitto keeps a persistent member in the group while it is away: it goes on routing its
share of the messages to the dead member's session and does not hand the ones in flight
to the others (eclipse-mosquitto issue 2662). Those come out only when a worker with the
same client id returns, so the scenario restarts the killed member at the end, and a
separate test records what is stranded when it never returns.
"""

from __future__ import annotations

import uuid

import pytest

from tests.faults.stream import Portfolio, ReadingStream
from tests.support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.services]

SEED = 1717
PORTFOLIO = Portfolio.build(4, 10)
#: 4 sites x 10 meters x 90 minutes = 3,600 readings in about 13 s of stream.
STEPS = 90
RATE = 150


def total_stored(workers) -> float:
    return sum(w.stored for w in workers if w.alive)


@pytest.fixture(scope="module")
def shared_run(module_rig):
    """The scenario, run once: the report of what ended up stored, and the workers."""
    rig = module_rig
    group = f"g{uuid.uuid4().hex[:6]}"
    publisher = rig.publisher()
    publisher.announce(PORTFOLIO)
    # One worker registers the sites before the others start: workers registering the same
    # new site at the same moment is a separate fault (test_concurrent_announcements).
    workers = [rig.worker("w0", client_id=f"{group}-w0", shared_group=group)]
    workers[0].wait_received(len(PORTFOLIO.sites))
    workers += [rig.worker(f"w{i}", client_id=f"{group}-w{i}", shared_group=group) for i in (1, 2)]
    for worker in workers:
        worker.wait_received(len(PORTFOLIO.sites))  # announcements are not shared: each gets all
    publisher.start(ReadingStream(PORTFOLIO, STEPS, SEED, rig.prefix).messages(), RATE)
    wait_for(lambda: all(w.stored > 0 for w in workers) and total_stored(workers) >= 300, timeout=30, what="all three storing")

    workers[1].kill()
    added = rig.worker("w3", client_id=f"{group}-w3", shared_group=group)
    added.wait_received(len(PORTFOLIO.sites))
    assert publisher.sending, "the stream ended before the new worker joined: not under load"

    publisher.join()
    # The killed member comes back under its own client id and drains its session.
    returned = rig.worker("w1-again", client_id=f"{group}-w1", shared_group=group)
    report = rig.settle(publisher, timeout=120)
    return rig, [*workers, added, returned], report


def test_no_reading_is_lost_or_doubled_when_a_group_member_dies_and_another_joins(shared_run):
    _, workers, report = shared_run

    assert report.lossless, report.summary()
    assert workers[3].stored > 0, "the added worker took no share"


def test_energy_sums_stay_exact_when_one_meter_is_split_across_workers(shared_run):
    _, _, report = shared_run

    assert not report.energy, report.summary()


@pytest.mark.xfail(
    strict=True,
    reason="Mosquitto (eclipse-mosquitto #2662) keeps routing a share of the group's messages to a killed "
    "member's persistent session and never hands them to the others: they wait for that client id to "
    "return (or are dropped at session expiry). A killed worker must be restarted with its own client id.",
)
def test_a_killed_member_that_never_returns_strands_no_reading(rig):
    group = f"g{uuid.uuid4().hex[:6]}"
    publisher = rig.publisher()
    publisher.announce(PORTFOLIO)
    first = rig.worker("w0", client_id=f"{group}-w0", shared_group=group)
    first.wait_received(len(PORTFOLIO.sites))
    doomed = rig.worker("w1", client_id=f"{group}-w1", shared_group=group)
    doomed.wait_received(len(PORTFOLIO.sites))
    publisher.start(ReadingStream(PORTFOLIO, 30, SEED + 1, rig.prefix).messages(), RATE)
    wait_for(lambda: doomed.stored > 0, timeout=30, what="the doomed worker storing")

    doomed.kill()
    rig.worker("w2", client_id=f"{group}-w2", shared_group=group)

    report = rig.settle(publisher, timeout=30)
    assert report.lossless, report.summary()
