"""The seam between the site scanner and its detectors: what a detector sees of one site's pass.

A detector is one module with a class that has ``scan(view, findings, faults)``, plus one
line in ``models.detectors.DETECTORS``. The scanner scores the site's meters once against
their baselines and hands every detector the same ``SiteView``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from core.domain import Meter
from models.episodes import WasteEpisode
from models.measure import SiteTerms
from models.quality import DataWarning
from models.residual import ResidualDetector


@dataclass(frozen=True, slots=True)
class SiteView:
    """One site's window as the scanner scored it. Whole-window arrays are hours x meters (all the
    scored meters); scan arrays are scanned hours (``hours[first:]``) x ``cols``."""

    terms: SiteTerms
    meters: list[Meter]
    #: The whole window, training and scan (epoch seconds), with its kWh, hour features and local hours.
    hours: np.ndarray
    kwh: np.ndarray
    features: np.ndarray
    local: np.ndarray
    #: Per meter, its ``StoredBaseline`` or None (no baseline: not scored).
    baselines: list
    train_end: int
    #: Meters with a baseline, as indices into ``meters``: the scan arrays' columns.
    cols: list[int]
    #: Index in ``hours`` of the first scanned hour.
    first: int
    #: Scanned kWh (NaN where not judged: unknown, stuck, a day kind the baseline has not seen),
    #: what the baselines expect, their residual scale and the scores.
    actual: np.ndarray
    expected: np.ndarray
    scale: np.ndarray
    scores: np.ndarray
    #: The hours each meter is scored in (before its own score_from they are context only).
    own: np.ndarray
    #: Score units taken off the thresholds where the site forest calls an hour an outlier.
    relief: np.ndarray | float
    residual: ResidualDetector
    #: Per scanned hour, True where the occupancy followers are not judged: they rose together
    #: next to the opening hours (the site was open), or a schedule change turned the hour and
    #: training holds none of its new normal yet (``models.opening``, ``scoring._unlearnt``).
    together: np.ndarray | None = None
    #: Per scanned hour and the few after the newest (the schedule is known ahead), 1 where open.
    open_ahead: np.ndarray | None = None


class Detector(Protocol):
    """Finds one kind of trouble in a site's pass."""

    def scan(self, view: SiteView, findings: list[WasteEpisode], faults: list[DataWarning]) -> None:
        """Add this detector's waste findings and data faults to the lists (in place). Detectors run
        in registration order; one may take back earlier findings that its own explains."""
