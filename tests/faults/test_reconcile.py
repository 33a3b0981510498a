"""The checker catches each kind of error on small hand-made inputs (and passes a clean store)."""

from __future__ import annotations

from core.domain import EnergyPoint
from tests.faults.reconcile import EnergyMismatch, reconcile
from tests.faults.stream import Stamp

PUBLISHED = [
    Stamp("s1", "m1", 60, 10.0),
    Stamp("s1", "m1", 120, 11.5),
    Stamp("s1", "m1", 180, 11.5),
    Stamp("s1", "m2", 60, 500.25),
    Stamp("s1", "m2", 120, 501.0),
]


def point(meter: str, ts: int, register: float, energy: float, site: str = "s1", category: str = "pv") -> EnergyPoint:
    return EnergyPoint(site, meter, category, ts, register, energy)


def faithful() -> list[EnergyPoint]:
    return [
        point("m1", 60, 10.0, 0.0),
        point("m1", 120, 11.5, 1.5),
        point("m1", 180, 11.5, 0.0),
        point("m2", 60, 500.25, 0.0),
        point("m2", 120, 501.0, 0.75),
    ]


def test_a_faithful_store_is_clean():
    report = reconcile(PUBLISHED, faithful())

    assert report.clean, report.summary()
    assert (report.published, report.stored) == (5, 5)


def test_a_missing_point_is_lost():
    stored = [p for p in faithful() if (p.meter_id, p.ts) != ("m1", 120)]

    report = reconcile(PUBLISHED, stored)

    assert report.lost == [("m1", 120)]
    assert not report.lossless


def test_two_points_for_one_key_under_different_tags_are_duplicated():
    stored = [*faithful(), point("m2", 60, 500.25, 0.0, category="elevator")]

    report = reconcile(PUBLISHED, stored)

    assert list(report.duplicated) == [("m2", 60)]
    assert len(report.duplicated[("m2", 60)]) == 2
    assert not report.lost


def test_a_point_never_published_is_unexpected():
    stray = point("m1", 240, 12.0, 0.5)

    report = reconcile(PUBLISHED, [*faithful(), stray])

    assert report.unexpected == [stray]
    assert not report.lossless


def test_a_point_with_another_register_is_wrong_valued():
    stored = [point("m1", 120, 11.6, 1.6) if (p.meter_id, p.ts) == ("m1", 120) else p for p in faithful()]

    report = reconcile(PUBLISHED, stored)

    assert [(w.expected.ts, w.stored.register) for w in report.wrong_value] == [(120, 11.6)]


def test_a_point_filed_under_another_site_is_wrong_valued():
    stored = [point("m2", 120, 501.0, 0.75, site="s9") if (p.meter_id, p.ts) == ("m2", 120) else p for p in faithful()]

    report = reconcile(PUBLISHED, stored)

    assert [w.stored.site_id for w in report.wrong_value] == ["s9"]


def test_energy_that_does_not_add_up_to_the_register_span_is_reported():
    # Every key right, but one interval counted twice (as a second worker without history would).
    stored = [point("m1", 180, 11.5, 1.5) if (p.meter_id, p.ts) == ("m1", 180) else p for p in faithful()]

    report = reconcile(PUBLISHED, stored)

    assert report.lossless
    assert report.energy == [EnergyMismatch("m1", 3.0, 1.5)]
    assert not report.clean


def test_energy_lost_to_a_zeroed_interval_is_reported():
    stored = [point("m2", 120, 501.0, 0.0) if (p.meter_id, p.ts) == ("m2", 120) else p for p in faithful()]

    assert reconcile(PUBLISHED, stored).energy == [EnergyMismatch("m2", 0.0, 0.75)]


def test_float_noise_in_energies_is_not_a_mismatch():
    stored = [point("m1", 120, 11.5, 1.5000004) if (p.meter_id, p.ts) == ("m1", 120) else p for p in faithful()]

    assert reconcile(PUBLISHED, stored).clean


def test_a_reading_published_twice_needs_one_stored_point():
    report = reconcile([*PUBLISHED, PUBLISHED[1]], faithful())

    assert report.clean
    assert report.published == 5


def test_the_summary_names_each_problem_with_examples():
    stored = [p for p in faithful() if p.meter_id != "m2"] + [point("m9", 60, 1.0, 0.0)]

    summary = reconcile(PUBLISHED, stored).summary()

    assert "2 lost" in summary and "('m2', 60)" in summary
    assert "1 unexpected" in summary


def test_an_empty_store_loses_everything():
    report = reconcile(PUBLISHED, [])

    assert len(report.lost) == len(PUBLISHED)
    assert {m.meter_id for m in report.energy} == {"m1", "m2"}
