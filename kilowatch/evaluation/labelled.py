"""Scores against labels made by people: ROC-AUC, PR-AUC and event F1, per meter.

An *event* is a run of consecutive labelled hours; a flagged *episode* is a run of flagged
hours. An episode is correct when it overlaps an event; an event is found when an episode
overlaps it. Event precision, recall and F1 follow from those two counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from models.anomaly import runs


@dataclass(frozen=True, slots=True)
class LabelledFigures:
    """How one meter's scores and flags compare with its labels."""

    hours: int
    labelled: int
    roc_auc: float
    pr_auc: float
    events: int
    found: int
    episodes: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.episodes if self.episodes else float("nan")

    @property
    def recall(self) -> float:
        return self.found / self.events if self.events else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0


def compare(score: np.ndarray, episode: np.ndarray, labels: np.ndarray) -> LabelledFigures:
    """Compare one meter's hourly ``score`` and ``episode`` numbers (0: none) with 0/1 ``labels``.

    All three are in time order, one entry per reading; hours with no score are left out of the
    rank metrics. ROC-AUC and PR-AUC are NaN when the labels hold a single class.
    """
    labels = np.asarray(labels).astype(bool)
    scored = np.isfinite(score)
    both = labels[scored].any() and not labels[scored].all()
    roc = float(roc_auc_score(labels[scored], score[scored])) if both else float("nan")
    pr = float(average_precision_score(labels[scored], score[scored])) if both else float("nan")
    events = runs(labels)
    numbers = [n for n in np.unique(episode) if n > 0]
    correct = sum(1 for n in numbers if labels[episode == n].any())
    found = sum(1 for s, e in events if (episode[s:e] > 0).any())
    return LabelledFigures(int(labels.size), int(labels.sum()), roc, pr, len(events), found, len(numbers), correct)
