"""A detection pass says, with its findings, when the holiday calendar has no official notice."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.settings import CarbonSettings, DetectSettings
from core.store.embedded import EmbeddedStore
from models.detection import DetectionPass
from simulators import build_portfolio
from tests.models.simulated import registry


def _pass(tmp_path) -> DetectionPass:
    sessions = registry(tmp_path, build_portfolio(1, seed=1))
    return DetectionPass(EmbeddedStore(tmp_path / "series.sqlite"), sessions, DetectSettings(), CarbonSettings())


def _at(y: int, m: int, d: int) -> int:
    return int(datetime(y, m, d, 12, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())


def test_a_pass_in_december_2026_finds_that_2027_has_no_notice(tmp_path):
    report = _pass(tmp_path).run(now=_at(2026, 12, 7), site_ids=[])
    found = [w for w in report.warnings if w.code == "calendar_not_covered"]
    assert len(found) == 1 and "2027" in found[0].message


def test_a_pass_in_a_covered_year_finds_nothing_about_the_calendar(tmp_path):
    report = _pass(tmp_path).run(now=_at(2025, 6, 1), site_ids=[])
    assert not [w for w in report.warnings if w.code == "calendar_not_covered"]
