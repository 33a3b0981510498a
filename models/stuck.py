"""Stuck registers seen against the baseline: hours of exactly zero where the meter always draws."""

from __future__ import annotations

import numpy as np

from core.domain import Meter
from core.timebase import HOUR
from models.quality import DataWarning

#: Zero hours in a row that make a stuck register. One zero hour where a little is expected
#: can be a breaker trip; two in a row of a load that never stops is the counter.
MIN_HOURS = 2
#: The baseline must expect this many residual scales (and share of the rating) for a
#: zero to be impossible rather than a quiet hour.
MIN_SCALES = 5.0
MIN_RATED_SHARE = 0.03


def stuck_matrix(
    actual: np.ndarray, expected: np.ndarray, scale: np.ndarray, hours: np.ndarray, meters: list[Meter]
) -> tuple[np.ndarray, list[DataWarning]]:
    """:func:`stuck_hours` over hours x meters, looking closer only at meters with a zero run."""
    rated = np.array([m.rated_kw for m in meters])
    floor = np.maximum(MIN_SCALES * scale, MIN_RATED_SHARE * rated[None, :])
    zero = (np.nan_to_num(actual, nan=1.0) <= 1e-9) & (expected > floor)
    mask = np.zeros(actual.shape, dtype=bool)
    warnings: list[DataWarning] = []
    runs = zero[1:] & zero[:-1] if MIN_HOURS == 2 else zero
    for k in np.flatnonzero(runs.any(axis=0)).tolist():
        mask[:, k], found = stuck_hours(actual[:, k], expected[:, k], scale[:, k], hours, meters[k])
        warnings.extend(found)
    return mask, warnings


def stuck_hours(
    actual: np.ndarray, expected: np.ndarray, scale: np.ndarray, hours: np.ndarray, meter: Meter
) -> tuple[np.ndarray, list[DataWarning]]:
    """Mask of the hours a frozen register hides, and one ``stuck_register`` warning per run."""
    floor = np.maximum(MIN_SCALES * scale, MIN_RATED_SHARE * meter.rated_kw)
    nil = np.nan_to_num(actual, nan=1.0) <= 1e-9
    zero = nil & (expected > floor)
    mask = np.zeros(actual.size, dtype=bool)
    warnings: list[DataWarning] = []
    if zero.sum() < MIN_HOURS:
        return mask, warnings
    # A run of zeros is one frozen register when it holds a stuck stretch: the quiet hours of the
    # run, where a zero alone would pass (a lift's standby at night), are frozen too, not normal
    # (a lift idling all weekend, its register frozen from 03:30 to 09:30 the next day, read
    # "back to normal" in the night hours of the freeze: two alerts; realistic seed 48611).
    edges = np.diff(np.concatenate([[0], nil.astype(np.int8), [0]]))
    for first, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if not _stuck_stretch(zero[first:stop]):
            continue
        mask[first:stop] = True
        warnings.append(
            DataWarning(
                code="stuck_register",
                message="the register did not move while the meter always draws power; those hours are not scored",
                site_id=meter.site_id,
                meter_id=meter.meter_id,
                data={
                    "started_at": int(hours[first]),
                    "ended_at": int(hours[stop - 1]) + HOUR,
                    "expected_kwh": round(float(np.sum(expected[first:stop])), 3),
                },
            )
        )
    return mask, warnings


def _stuck_stretch(zero: np.ndarray) -> bool:
    """Whether ``zero`` (impossible zeros of one run) holds ``MIN_HOURS`` of them in a row."""
    if zero.size < MIN_HOURS:
        return False
    return bool(np.lib.stride_tricks.sliding_window_view(zero, MIN_HOURS).all(axis=1).any())


def zero_runs(kwh: np.ndarray, min_hours: int = MIN_HOURS) -> np.ndarray:
    """Per hour and column of ``kwh`` (hours x meters), whether it lies in a run of at least
    ``min_hours`` hours of exactly zero: a frozen register, or a meter truly off. Training may
    use such hours, but must not take them on trust: a frozen register is no one's new normal."""
    zero = np.nan_to_num(np.asarray(kwh, dtype=float), nan=1.0) <= 1e-9
    if zero.ndim == 1:
        zero = zero[:, None]
    pad = np.zeros((1, zero.shape[1]), dtype=np.int8)
    edges = np.diff(np.vstack([pad, zero.astype(np.int8), pad]), axis=0)
    out = np.zeros(zero.shape, dtype=bool)
    for col in np.flatnonzero(zero.any(axis=0)).tolist():
        for first, stop in zip(np.flatnonzero(edges[:, col] == 1), np.flatnonzero(edges[:, col] == -1), strict=True):
            if stop - first >= min_hours:
                out[first:stop, col] = True
    return out
