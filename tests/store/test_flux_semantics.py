"""The Flux that the influx2 backend sends passes Flux's own parser and type checker.

No InfluxDB 2.x runs here, so this is the closest check of the query text short of a
server: flux-lsp's semantic check (an npm package, WebAssembly, run by Node) knows the
standard library's signatures, so a misspelt parameter, a missing ``import "timezone"`` or
a wrongly typed argument fails. ``make test`` installs it into ``.venv/flux-lsp``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from core.store import flux
from tests.support import missing

ROOT = Path(__file__).resolve().parents[2]
CHECKER = Path(__file__).with_name("flux_check.mjs")
PACKAGE = "node_modules/@influxdata/flux-lsp-browser"
JAN1 = 1_735_660_800  # 2025-01-01 00:00 Asia/Shanghai


def _package_dir() -> Path:
    for base in (os.environ.get("KILOWATCH_FLUX_LSP_DIR"), ROOT / ".venv/flux-lsp"):
        if base and (Path(base) / PACKAGE / "flux-lsp-browser_bg.wasm").is_file():
            return Path(base) / PACKAGE
    missing("the Flux checker is not installed (make flux-checker, or set KILOWATCH_FLUX_LSP_DIR)")
    raise AssertionError("unreachable")


def _valid(*scripts: str) -> list[bool]:
    node = shutil.which("node") or missing("node is not installed")
    answer = subprocess.run(
        [node, str(CHECKER), str(_package_dir())], input=json.dumps(scripts), capture_output=True, text=True, timeout=120
    )
    assert answer.returncode == 0, answer.stderr[-2000:]
    return json.loads(answer.stdout)


SENT = {
    "daily energy, one site": flux.daily_energy("kilowatch", JAN1, JAN1 + 86_400, "Asia/Shanghai", 'site "1"'),
    "daily energy, every site": flux.daily_energy("kilowatch", JAN1, JAN1 + 86_400, "Asia/Shanghai"),
    "quarter-hour energy": flux.quarter_energy("kilowatch", JAN1, JAN1 + 86_400, ["a", "b\\c"]),
    "raw points": flux.source("kilowatch", JAN1, JAN1 + 900, ("register", "energy"), meter="m")
    + '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n',
}


def test_every_query_the_backend_sends_type_checks():
    assert dict(zip(SENT, _valid(*SENT.values()), strict=True)) == dict.fromkeys(SENT, True)


def test_the_checker_rejects_what_a_server_would():
    daily = SENT["daily energy, every site"]
    broken = [
        daily.replace("timeSrc", "timeSource"),  # no such parameter
        daily.replace('import "timezone"\n', ""),  # timezone.location without its import
        daily.replace("every: 1d", 'every: "1d"'),  # a string where a duration goes
    ]
    assert _valid(*broken) == [False, False, False]
