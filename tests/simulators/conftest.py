"""Fixtures for the simulator tests: a small seeded portfolio."""

from __future__ import annotations

import pytest

from simulators import Portfolio, build_portfolio


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    """Three mixed sites; the first four site types each appear once before repeats."""
    return build_portfolio(3, seed=7)
