"""A new meter category is a row in the category table plus a load model in the simulator.

The test copies the packages, makes exactly those two edits (a member and a row in
core/categories.py; a noise level and a load profile in simulators/load.py) and runs, in a
fresh interpreter on the copy, one site with a meter of the new category through the whole
path: simulated readings -> the wire -> ingest's batch processor -> the store -> a detection
pass -> the alert's explanation -> the API (its category table and the alert). Nothing else
is edited, so a list of categories kept anywhere else would reject, drop or mislabel the meter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "core", "ingest", "kilowatch", "models", "simulators")

CODE, ZH, EN = "sewage_pump", "污水泵", "Sewage pumps"

#: (file, anchor, text inserted after the anchor): the only edits a new category needs.
EDITS = (
    ("core/categories.py", '    CHILLER = "chiller"\n', '    SEWAGE_PUMP = "sewage_pump"\n'),
    (
        "core/categories.py",
        '        CategoryInfo(C.CHILLER, "冷水机组", "Chillers", "kWh", _HVAC),\n',
        f'        CategoryInfo(C.SEWAGE_PUMP, "{ZH}", "{EN}", "kWh", _PUMP),\n',
    ),
    ("simulators/load.py", "    C.CHILLER: 0.06,\n", "    C.SEWAGE_PUMP: 0.05,\n"),
    (
        "simulators/load.py",
        "#: Load profiles by name",
        "def _sewage_pump(v: View) -> np.ndarray:\n"
        "    # Lift pumps empty the sump as the building drains it: people by day, a trickle at night.\n"
        "    return 0.1 + 0.5 * v.act\n\n\n",
    ),
    ("simulators/load.py", "    C.AIR_COMPRESSOR.value: _air_compressor,\n", "    C.SEWAGE_PUMP.value: _sewage_pump,\n"),
)

#: Runs on the edited copy: prints what each stage made of the new meter, as JSON.
SCRIPT = r"""
import json, sys, tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.options import ApiOptions
from api.security import create_api_key
from core.db.session import create_db_engine, migrate, session_factory
from core.domain import Meter, MeterCategory
from core.settings import CarbonSettings, DetectSettings, IngestSettings, Settings
from core.store.embedded import EmbeddedStore
from core.timebase import DAY, HOUR
from core.wire import batch_topic, decode, encode_batch, encode_meta, meta_topic
from ingest.buffer import InboundMessage
from ingest.processor import BatchProcessor
from ingest.validation import MeterDirectory
from models.detection import DetectionPass
from simulators import Portfolio, WasteEvent, build_portfolio, generate
from tests.models.simulated import FIRST_DAY

work = Path(sys.argv[1])
built = build_portfolio(1, 11)
site = built.sites[0]
new = Meter(f"{site.site_id}-{sys.argv[2]}-1", site.site_id, MeterCategory(sys.argv[2]), 20.0, "")
meters = [*built.meters[site.site_id], new]
portfolio = Portfolio([site], {site.site_id: meters}, built.profiles)
start = int(FIRST_DAY.timestamp())
end = start + 9 * DAY
# The pump left running through the last night (01:00-05:00 local), at half its rating.
night = end - DAY + HOUR
waste = [WasteEvent(site.site_id, new.meter_id, "pump_night", night, night + 4 * HOUR, 10.0)]

engine = create_db_engine(f"sqlite:///{work / 'kilowatch.db'}")
migrate(engine)
sessions = session_factory(engine)
store = EmbeddedStore(work / "series.sqlite")
processor = BatchProcessor(
    IngestSettings(max_age_s=20 * 365 * DAY), store, MeterDirectory(sessions), lambda _what, op: op(), lambda: end, "kw/v1"
)

def message(topic, payload):
    return InboundMessage(topic, payload, decode(topic, payload, "kw/v1"), 0, 1, 0, end, 0.0)

announced = processor.admit([message(meta_topic(site.site_id, "kw/v1"), encode_meta(site, meters))], lambda f: f())
stored = 0
for _ts, readings in generate(portfolio, start, end, waste=waste, seed=11):
    intake = processor.admit([message(batch_topic(site.site_id, "kw/v1"), encode_batch(site.site_id, readings))], lambda f: f())
    processor.tracker.begin()
    points = list(processor.compute(intake.admitted, shared=False).points.values())
    store.write(points)
    processor.tracker.commit()
    stored += sum(p.meter_id == new.meter_id for p in points)

DetectionPass(store, sessions, DetectSettings(), CarbonSettings()).run(now=end)

with sessions.begin() as session:
    key = create_api_key(session, "test", "admin")
app = create_app(Settings(data_dir=work), store, sessions, ApiOptions(run_outbox=False))
with TestClient(app) as client:
    headers = {"X-API-Key": key}
    categories = client.get("/api/v1/categories", headers=headers).json()["categories"]
    items = client.get("/api/v1/alerts", headers=headers, params={"category": sys.argv[2]}).json()["data"]
    alerts = [client.get(f"/api/v1/alerts/{a['id']}", headers=headers).json() for a in items if a["meter_id"] == new.meter_id]
    sites_meters = client.get(f"/api/v1/sites/{site.site_id}", headers=headers).json()

print(json.dumps({
    "announced": announced.announcements, "rejected": announced.rejected, "meter": new.meter_id,
    "stored": stored, "row": next((r for r in categories if r["code"] == sys.argv[2]), None),
    "alerts": alerts, "site": sites_meters,
}, ensure_ascii=False))
"""


def _edited_copy(where: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, where / package, ignore=shutil.ignore_patterns("__pycache__"))
    (where / "tests" / "models").mkdir(parents=True)
    for name in ("tests/__init__.py", "tests/models/__init__.py", "tests/models/simulated.py"):
        shutil.copy(ROOT / name, where / name)
    for name, anchor, addition in EDITS:
        path = where / name
        text = path.read_text(encoding="utf-8")
        assert text.count(anchor) == 1, f"{name}: the anchor {anchor!r} moved; update the edit"
        path.write_text(text.replace(anchor, anchor + addition if anchor.endswith("\n") else addition + anchor), encoding="utf-8")
    return where


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tree = _edited_copy(tmp_path_factory.mktemp("tree"))
    work = tmp_path_factory.mktemp("work")
    (tree / "run.py").write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, str(tree / "run.py"), str(work), CODE], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ingest_accepts_and_stores_the_new_category(run: dict) -> None:
    assert run["announced"] == 1 and run["rejected"] == []
    assert run["stored"] > 0
    assert run["meter"] in {m["meter_id"] for m in run["site"]["meters"]}


def test_the_api_serves_the_new_row_with_its_labels(run: dict) -> None:
    row = run["row"]
    assert row is not None
    assert (row["labels"]["zh"], row["labels"]["en"], row["unit"], row["scored"]) == (ZH, EN, "kWh", True)
    assert row["checks"] == ["pump_night", "baseline_excess", "base_load_creep"]


def test_the_detector_finds_waste_on_it_by_the_checks_of_its_row(run: dict) -> None:
    (alert,) = run["alerts"]
    assert alert["category"] == CODE and alert["kind"] == "pump_night"
    explanation = alert["explanation"]
    assert explanation["text_en"].startswith(EN) and explanation["text_zh"].startswith(ZH)
