"""Quality floors of the whole detector on a seeded simulated portfolio it was never tuned on.

Tuning used seeds 7 and 20250917 (and, for the creep check of session 3, 1-5) only. The floors
are the issue's goals, tighter where this seed measured well above them (with a margin); the
comments give what it measured with the current detector (see docs/model-quality.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kilowatch.evaluation.metrics import Scores, score
from kilowatch.evaluation.runner import run_detection
from kilowatch.evaluation.world import World, build_world
from simulators import WASTE_KINDS

SEED = 424242
FAULTS = {"stuck_register": 0.03, "spike": 0.05, "dropout": 0.03, "register_reset": 0.02}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(
        tmp_path_factory.mktemp("floors"),
        seed=SEED,
        sites=4,
        weeks=2,
        history_days=21,
        mix={k: 1.0 for k in WASTE_KINDS},
        faults=FAULTS,
    )


@pytest.fixture(scope="module")
def scores(world: World) -> Scores:
    result = run_detection(world, pass_hours=12, training_days=21)
    return score(result.alerts, world.events, site_weeks=world.site_weeks, seen=result.seen)


@pytest.fixture(scope="module")
def creeps(world: World) -> list:
    return [e for e, _ in world.events if e.kind == "base_load_creep"]


def test_the_seed_injects_enough_events_to_judge(scores: Scores) -> None:
    assert scores.overall.events >= 25 and scores.fault_events >= 5


def test_its_creeps_are_realistic_ramps_that_completed(creeps: list) -> None:
    # The creep floor means something only for creeps as slow as planned: ramps of four days
    # or more, completed three days before the end (before session 3 a cut creep kept its full
    # size and rose up to four times faster than planned).
    assert len(creeps) >= 3
    assert all(e.ramp_stop - e.start >= 4 * 86400 and e.ramp_stop + 3 * 86400 <= e.end for e in creeps)


def test_overall_event_f1_meets_the_goal(scores: Scores) -> None:
    assert scores.overall.f1 >= 0.95  # goal 0.9; measured 1.00 (0.98 before session 3)


def test_base_load_creeps_are_found(scores: Scores) -> None:
    creep = scores.by_kind["base_load_creep"]
    assert creep.events >= 3 and creep.detected >= creep.events - 1  # measured 4 of 4


def test_every_waste_kind_reaches_f1_0_8(scores: Scores) -> None:
    # Measured 1.00 for every kind (4 creeps of 4-11 day ramps among them).
    low = {k: round(s.f1, 2) for k, s in scores.by_kind.items() if s.events and not s.f1 >= 0.8}
    assert not low


def test_median_detection_delay_is_at_most_one_hour(scores: Scores) -> None:
    assert scores.median_delay_h() <= 1.0  # measured 0.75 h


def test_wasted_kwh_is_estimated_within_10_percent(scores: Scores) -> None:
    assert abs(scores.wasted_error) <= 0.10  # goal 15 %; measured -1.8 % (-9.0 % before session 3)


def test_false_alerts_stay_under_half_a_site_week(scores: Scores) -> None:
    assert scores.false_alerts_per_site_week <= 0.5  # measured 0.0


def test_no_data_fault_is_reported_as_waste(scores: Scores) -> None:
    assert scores.faults_called_waste == 0  # measured 0 of 12


def test_the_report_is_written_with_its_plots(scores: Scores, tmp_path: Path) -> None:
    from kilowatch.evaluation.report import write_report

    path = write_report(tmp_path, scores, [], title="t", command="kilowatch evaluate", setup={"seed": SEED})
    text = path.read_text(encoding="utf-8")
    assert "| event-level F1, overall |" in text and (tmp_path / "f1_by_kind.png").stat().st_size > 1000
