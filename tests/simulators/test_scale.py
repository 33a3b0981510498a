"""A national portfolio: 5,000 sites build, and one step of every meter generates within memory."""

from __future__ import annotations

import tracemalloc

from simulators import build_portfolio, generate
from tests.simulators.common import DAY, JUNE_1

#: Memory one step may allocate for 5,000 sites x ~48 meters (~240,000 meters): the
#: arrays are a few MB each; Reading objects would be ~60 MB, columns far less.
STEP_BUDGET_BYTES = 64 * 2**20


def test_a_5000_site_portfolio_with_dozens_of_meters_a_site_builds_and_steps_within_memory():
    portfolio = build_portfolio(5000, seed=1, meter_scale=3.5)
    n_meters = sum(len(ms) for ms in portfolio.meters.values())
    assert len(portfolio.sites) == 5000 and n_meters >= 5000 * 36
    gen = generate(portfolio, JUNE_1, JUNE_1 + DAY, seed=1)
    gen.next_step()
    tracemalloc.start()
    try:
        step = gen.next_step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(step.meters) == n_meters
    assert peak < STEP_BUDGET_BYTES
