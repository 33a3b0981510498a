"""Shortfalls: a meter drawing far less than its own normal, or reading a flat line. Never waste.

Equipment switched off, a tripped breaker, a meter or gateway failing: the manager wants to
know, but as a finding about the meter, not as an alert with wasted kWh. The judgement is
:class:`models.anomaly.TwoSidedScorer`, the model ``kilowatch score`` uses, run causally (only
earlier weeks make an hour's reference) on the meters whose hours in the scan fall clearly
below their baseline, so a healthy portfolio costs one comparison per meter.
"""

from __future__ import annotations

import numpy as np

from core.domain import Meter
from core.timebase import HOUR
from models.anomaly import BELOW, FLAT, TwoSidedScorer
from models.quality import DataWarning

#: Residual scale units below the baseline, two hours running, that make a meter worth the
#: two-sided look (7.7 ms a meter: a portfolio pass can afford it for the few that drop).
#: Lower than any alert threshold: the scorer, not this gate, decides.
GATE_SCALES = 4.0
#: Share of the expected energy an episode must fall short by to be reported: the scorer
#: ranks shapes too, and an episode off in shape but not in energy is no shortfall.
MIN_SHORT_SHARE = 0.2
#: Finding codes, as ``DataFindingRecord.kind``.
SHORTFALL, FLAT_LINE = "shortfall", "flat_line"
_CODES = {BELOW: SHORTFALL, FLAT: FLAT_LINE}


def candidates(scores: np.ndarray, actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Columns (meters) with two hours in a row clearly below their baseline: at least
    ``GATE_SCALES`` scales and ``MIN_SHORT_SHARE`` of the expected energy short (hours x meters)."""
    if scores.size == 0 or scores.shape[0] < 2:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        low = (np.nan_to_num(scores, nan=0.0) <= -GATE_SCALES) & (
            np.nan_to_num(actual, nan=np.inf) <= (1 - MIN_SHORT_SHARE) * expected
        )
    return np.flatnonzero((low[1:] & low[:-1]).any(axis=0))


def find(
    site_id: str,
    meter: Meter,
    hours: np.ndarray,
    kwh: np.ndarray,
    local_hour: np.ndarray,
    day_key: np.ndarray,
    scan_start: int,
    scorer: TwoSidedScorer | None = None,
) -> list[DataWarning]:
    """Shortfall and flat-line findings of one meter's hourly ``kwh`` that reach into ``[scan_start, ...)``."""
    scorer = scorer or TwoSidedScorer(causal=True)
    result = scorer.score(kwh, local_hour, day_key)
    out = []
    for number, kind in result.kinds.items():
        if kind not in _CODES:
            continue
        rows = np.flatnonzero(result.episode == number)
        if hours[rows[-1]] < scan_start:
            continue
        expected = float(np.nansum(result.expected[rows]))
        actual = float(np.nansum(kwh[rows]))
        if kind == BELOW and actual > (1 - MIN_SHORT_SHARE) * expected:
            continue
        what = (
            "a flat line: readings on one straight line (a stuck register, or a gap filled in)"
            if kind == FLAT
            else f"drew {actual:.1f} kWh where its own history expects {expected:.1f}"
        )
        out.append(
            DataWarning(
                _CODES[kind],
                what,
                site_id,
                meter.meter_id,
                {
                    "started_at": int(hours[rows[0]]),
                    "ended_at": int(hours[rows[-1]] + HOUR),
                    "expected_kwh": round(expected, 3),
                    "actual_kwh": round(actual, 3),
                    "score": round(float(np.nanmax(result.score[rows])), 2),
                },
            )
        )
    return out
