"""Facts with one home stay there: the home time zone and the time units live in core/timebase.py.

Outside ``models/`` (its turn comes with issue 14's models part) a module writes neither the
zone's name nor its own HOUR or DAY. KNOWN lists the files that still do, each owned by
work in progress; it is empty now and stays so.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "ingest", "api", "models", "kilowatch", "simulators", "bench", "scripts")
ZONE = re.compile(r"""["']Asia/Shanghai["']""")
UNIT = re.compile(r"^\s*_?(HOUR|DAY)(_S)?(\s*,\s*_?(HOUR|DAY)(_S)?)*\s*=\s*[\d_(]", re.MULTILINE)
#: Files that still hold a copy, and the work that removes it.
KNOWN: set[str] = set()
HOME = "core/timebase.py"


def _copies() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix not in (".py", ".js", ".sh"):
                continue
            text = path.read_text(encoding="utf-8")
            name = str(path.relative_to(ROOT))
            if name == HOME:
                continue
            if ZONE.search(text) and not (path.suffix == ".js" and name == "api/static/vocabulary.js"):
                found.add(name)
            if path.suffix == ".py" and UNIT.search(text):
                found.add(name)
    return found


def test_the_home_zone_and_time_units_are_written_only_in_core_timebase():
    new = _copies() - KNOWN
    assert not new, f"write core.timebase's HOME_TIMEZONE / HOME_ZONE / HOUR / DAY instead, in: {sorted(new)}"


def test_the_dashboard_takes_the_home_zone_from_one_module():
    static = ROOT / "api" / "static"
    holders = sorted(p.name for p in static.glob("*.js") if ZONE.search(p.read_text(encoding="utf-8")))
    assert holders == ["vocabulary.js"]
