"""The report's plots, drawn from a small seeded evaluation: dates on the example alert, a log
delay axis, counts behind F1 per kind; and the progress hook of the detection passes.

Assertions are on the figure objects, never on pixels."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer

from kilowatch.evaluation.metrics import Scores, detected_at, score
from kilowatch.evaluation.report import delay_figure, example_figure, f1_figure
from kilowatch.evaluation.runner import RunResult, pass_count, run_detection
from kilowatch.evaluation.world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(
        tmp_path_factory.mktemp("plots"),
        seed=5,
        sites=2,
        weeks=1,
        history_days=14,
        mix={"pump_night": 3.0, "hvac_after_hours": 3.0},
        faults={"spike": 0.2},
        scenario="classic",
    )


@pytest.fixture(scope="module")
def run(world: World) -> tuple[RunResult, list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []
    result = run_detection(world, pass_hours=12, training_days=14, on_pass=lambda done, total: calls.append((done, total)))
    return result, calls


@pytest.fixture(scope="module")
def scores(world: World, run) -> Scores:
    result, _ = run
    return score(result.alerts, world.events, site_weeks=world.site_weeks, seen=result.seen)


def test_the_progress_hook_hears_of_every_pass_out_of_a_total_known_up_front(world: World, run) -> None:
    result, calls = run
    total = pass_count(world, 12)
    assert total == result.passes == 14  # a week in passes of 12 h
    assert calls == [(i, total) for i in range(1, total + 1)]


def test_the_example_alert_is_dated_in_the_sites_local_time(run) -> None:
    result, _ = run
    assert result.alerts, "the seed must raise alerts to draw one"
    example = max(result.alerts, key=lambda a: a.wasted_kwh)
    zone = ZoneInfo(json.loads(example.explanation)["tz"])
    ax = example_figure(result.alerts).axes[0]
    formatter = ax.xaxis.get_major_formatter()
    assert isinstance(formatter, mdates.ConciseDateFormatter)
    found = datetime.fromtimestamp(detected_at(example), zone)
    # The formatter writes the detection moment as the site's wall clock shows it (not UTC).
    assert formatter.format_data_short(mdates.date2num(found)).startswith(found.strftime("%Y-%m-%d %H:%M"))
    assert zone.key in ax.get_xlabel()


def test_the_example_alert_shades_its_window_and_marks_its_detection(run) -> None:
    result, _ = run
    example = max(result.alerts, key=lambda a: a.wasted_kwh)
    ax = example_figure(result.alerts).axes[0]
    (span,) = [p for p in ax.patches if p.get_label() == "alert window"]
    left, right = span.get_x(), span.get_x() + span.get_width()
    assert mdates.num2date(left).timestamp() == pytest.approx(example.started_at)
    assert mdates.num2date(right).timestamp() == pytest.approx(example.ended_at)
    (marker,) = [line for line in ax.get_lines() if line.get_label().startswith("detected")]
    assert mdates.num2date(marker.get_xdata()[0]).timestamp() == pytest.approx(detected_at(example))


def test_delays_are_on_a_log_axis_with_ticks_from_minutes_to_days(scores: Scores) -> None:
    ax = delay_figure(scores).axes[0]
    assert ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert {"15 min", "1 h", "1 day"} <= set(labels)
    points = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))  # the scattered events
    assert points == sum(len(d) for d in scores.delays_h.values()) > 0


def test_f1_by_kind_shows_events_detected_and_false_alerts_with_their_numbers(scores: Scores) -> None:
    fig = f1_figure(scores)
    counts = fig.axes[1]
    groups = {c.get_label(): c for c in counts.containers if isinstance(c, BarContainer)}
    assert set(groups) == {"events", "detected", "false alerts"}
    kinds = [t.get_text() for t in counts.get_xticklabels()]
    assert set(kinds) == {k for k, v in scores.by_kind.items() if v.events or v.alerts}
    expected = {
        "events": [scores.by_kind[k].events for k in kinds],
        "detected": [scores.by_kind[k].detected for k in kinds],
        "false alerts": [scores.false_alert_kinds.get(k, 0) for k in kinds],
    }
    for label, bars in groups.items():
        assert [round(b.get_height()) for b in bars] == expected[label]
    numbers = sorted(t.get_text() for t in counts.texts)
    assert numbers == sorted(str(n) for values in expected.values() for n in values)
    assert sum(expected["events"]) > 0
