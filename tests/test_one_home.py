"""Facts with one home stay there: the home time zone and the time units live in core/timebase.py.

Outside ``models/`` (its turn comes with issue 14's models part) a module writes neither the
zone's name nor its own HOUR or DAY. KNOWN lists the files that still do, each owned by
work in progress; it may only shrink.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "ingest", "api", "kilowatch", "simulators", "bench", "scripts")
ZONE = re.compile(r"""["']Asia/Shanghai["']""")
UNIT = re.compile(r"^\s*_?(HOUR|DAY)(_S)?(\s*,\s*_?(HOUR|DAY)(_S)?)*\s*=\s*[\d_(]", re.MULTILINE)
#: Files that still hold a copy, and the work that removes it.
KNOWN = {
    "core/calendar.py",  # local_date's default zone: Shanghai-day helpers move here (issue 14 step 4)
    "core/wire.py",  # the announcement's default tz (site announcement work)
    "core/db/tables.py",  # sites.timezone column default (site table work)
    "core/store/rollup.py",  # ROLLUP_TIMEZONE, _DAY_S and the +8 h offset (store tidy, issue 14 step 4)
    "core/store/daily.py",  # DEFAULT_TIMEZONE (store tidy)
    "core/store/influx_docs.py",  # DAY_S (store tidy)
    "core/carbon/service.py",  # the portfolio's zone (carbon ledger work)
    "core/carbon/ledger.py",  # FACTOR_TIMEZONE (carbon ledger work)
}
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
