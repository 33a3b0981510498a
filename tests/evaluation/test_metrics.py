"""Event-level scoring of alerts against ground truth: what counts as found, false, or a fault called waste."""

from __future__ import annotations

from core.db.tables import AlertRecord
from kilowatch.evaluation.metrics import score
from simulators import WasteEvent

H = 3600


def alert(i: int, meter: str, kind: str, start: int, end: int, wasted: float = 10.0) -> AlertRecord:
    return AlertRecord(
        id=i,
        site_id="s",
        meter_id=meter,
        category="c",
        kind=kind,
        status="open",
        severity="low",
        started_at=start,
        ended_at=end,
        ongoing=False,
        actual_kwh=0,
        expected_kwh=0,
        wasted_kwh=wasted,
        cost_cny=0,
        co2e_kg=0,
        factor_kg_per_kwh=0,
        created_at=0,
        updated_at=0,
        detected_at=start + H,
    )


def event(meter: str, kind: str, start: int, end: int) -> WasteEvent:
    return WasteEvent("s", meter, kind, start, end, 5.0)


def test_a_matching_alert_is_a_hit_with_its_delay_and_kwh() -> None:
    scores = score(
        [alert(1, "m1", "pump_night", 0, 4 * H, wasted=9.0)], [(event("m1", "pump_night", 1800, 4 * H), 10.0)], site_weeks=1.0
    )
    assert scores.overall.f1 == 1.0
    assert scores.median_delay_h() == 0.5
    assert abs(scores.wasted_error + 0.1) < 1e-9


def test_an_alert_of_the_wrong_kind_finds_the_event_but_not_its_kind() -> None:
    scores = score([alert(1, "m1", "baseline_excess", 0, 4 * H)], [(event("m1", "pump_night", 0, 4 * H), 10.0)], site_weeks=1.0)
    assert scores.overall.recall == 0.0 and scores.any_kind.recall == 1.0
    assert scores.false_alerts == 0


def test_an_alert_on_a_meter_without_waste_is_false_and_on_a_fault_is_a_fault_called_waste() -> None:
    fault = WasteEvent("s", "m2", "stuck_register", 0, 4 * H, 0.0)
    scores = score(
        [alert(1, "m2", "pump_night", 0, 2 * H), alert(2, "m3", "pump_night", 0, 2 * H)], [(fault, 0.0)], site_weeks=2.0
    )
    assert scores.false_alerts == 2 and scores.false_alerts_per_site_week == 1.0
    assert scores.faults_called_waste == 1


def test_a_kind_with_events_and_no_alert_scores_f1_zero_not_n_a() -> None:
    scores = score([], [(event("m1", "base_load_creep", 0, 10 * H), 20.0)], site_weeks=1.0)
    creep = scores.by_kind["base_load_creep"]
    assert (creep.events, creep.detected, creep.alerts) == (1, 0, 0)
    assert creep.f1 == 0.0  # a floor of "F1 >= 0.8" must catch it


# Strict rules (session 5): each test fails under the lenient scorer of session 4.


def test_a_missed_event_counts_as_zero_estimated_kwh() -> None:
    found = (event("m1", "pump_night", 0, 4 * H), 10.0)
    missed = (event("m2", "pump_night", 0, 4 * H), 10.0)
    scores = score([alert(1, "m1", "pump_night", 0, 4 * H, wasted=10.0)], [found, missed], site_weeks=1.0)
    assert scores.wasted_true_kwh == 20.0
    assert abs(scores.wasted_error + 0.5) < 1e-9  # the lenient scorer compared 10 with 10: 0 %


def test_a_second_alert_on_one_event_is_a_false_alert() -> None:
    leak = (event("m1", "compressed_air_leak", 0, 48 * H), 100.0)
    alerts = [alert(1, "m1", "compressed_air_leak", 0, 10 * H), alert(2, "m1", "compressed_air_leak", 24 * H, 34 * H)]
    scores = score(alerts, [leak], site_weeks=1.0)
    assert scores.overall.recall == 1.0
    assert scores.false_alerts == 1 and scores.overall.precision == 0.5


def test_an_alert_over_before_the_event_began_is_not_its_detection() -> None:
    # Evidence at 9:00, over at 9:30: inside the 1 h slack of an event at 10:00, but another episode.
    scores = score(
        [alert(1, "m1", "pump_night", 8 * H, 9 * H + 1800)], [(event("m1", "pump_night", 10 * H, 14 * H), 10.0)], site_weeks=1.0
    )
    assert scores.overall.recall == 0.0 and scores.any_kind.recall == 0.0
    assert scores.false_alerts == 1
    assert scores.delays_h == {}  # the lenient scorer clamped its delay to 0


def test_an_episode_growing_into_the_event_detects_it_when_a_pass_first_shows_it_covering_the_start() -> None:
    grown = alert(1, "m1", "pump_night", 8 * H, 14 * H)  # evidence at 9:00, ran unbroken into the event
    seen = {1: [(9 * H, 9 * H), (12 * H, 12 * H), (15 * H, 14 * H)]}
    scores = score([grown], [(event("m1", "pump_night", 10 * H, 14 * H), 10.0)], site_weeks=1.0, seen=seen)
    assert scores.overall.recall == 1.0 and scores.false_alerts == 0
    assert scores.median_delay_h() == 2.0  # never clamped to 0


def test_an_alert_overlapping_a_fault_is_a_fault_called_waste_even_when_it_also_finds_waste() -> None:
    spike = WasteEvent("s", "m1", "spike", 2 * H, 2 * H + 900, 0.0)
    scores = score(
        [alert(1, "m1", "pump_night", 0, 4 * H)], [(event("m1", "pump_night", 0, 4 * H), 10.0), (spike, 0.0)], site_weeks=1.0
    )
    assert scores.overall.f1 == 1.0
    assert scores.faults_called_waste == 1


def test_an_alert_on_waste_of_the_training_history_is_left_out_not_false() -> None:
    old = event("m1", "base_load_creep", -20 * 24 * H, -2 * 24 * H)
    alerts = [alert(1, "m1", "base_load_creep", -15 * 24 * H, -3 * 24 * H), alert(2, "m2", "pump_night", 0, 2 * H)]
    scores = score(alerts, [], site_weeks=1.0, past=[old])
    assert scores.overall.alerts == 1 and scores.false_alerts == 1


def test_a_realistic_world_has_waste_in_its_history_that_is_not_scored(tmp_path) -> None:
    from kilowatch.evaluation.world import build_world

    world = build_world(
        tmp_path,
        seed=5,
        sites=3,
        weeks=1,
        history_days=14,
        mix={"pump_night": 3.0, "hvac_after_hours": 3.0},
        scenario="realistic",
    )
    assert world.history_events and all(e.end <= world.eval_start for e, _ in world.history_events)
    assert all(e.start >= world.eval_start for e, _ in world.events)
    assert world.realism is not None and world.realism.hours


def test_alerts_per_site_week_count_the_alerts_that_began_in_the_span() -> None:
    from kilowatch.evaluation.metrics import alerts_per_site_week

    week = 7 * 24 * H
    alerts = [
        alert(1, "m1", "hvac_after_hours", week - H, week + H),
        alert(2, "m1", "hvac_after_hours", week, week + H),
        alert(3, "m2", "hvac_after_hours", week + 5 * H, week + 6 * H),
    ]
    assert alerts_per_site_week(alerts, 0, week, sites=2) == 0.5
    assert alerts_per_site_week(alerts, week, 2 * week, sites=2) == 1.0
