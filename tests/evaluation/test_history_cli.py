"""``kilowatch import`` and ``kilowatch score`` on CSV exports, as a new customer would run them."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from typer.testing import CliRunner

from core.store.embedded import EmbeddedStore
from kilowatch.cli import app

runner = CliRunner()
START = datetime(2025, 6, 2, tzinfo=ZoneInfo("Asia/Shanghai"))


def write_csv(path: Path, rows: list[list[object]], header: tuple[str, ...] = ("timestamp", "meter", "value", "site")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def registers(meter: str, hours: int = 48) -> list[list[object]]:
    return [
        [(START + timedelta(minutes=15 * i)).isoformat(), meter, round(1000 + 0.5 * i, 2), "site-x"] for i in range(hours * 4)
    ]


def test_import_loads_registers_and_reports_rejected_rows_by_reason(tmp_path: Path) -> None:
    rows = registers("m-1") + [
        ["not a time", "m-1", 1, "site-x"],
        [START.isoformat(), "m-1", "abc", "site-x"],
        [START.isoformat(), "m-1", 1000, "site-x"],
    ]
    path = write_csv(tmp_path / "export.csv", rows)
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "import", str(path), "--category", "water_pump"])
    assert result.exit_code == 0, result.output
    assert "Imported 192 rows; rejected 3" in result.output
    assert "unreadable timestamp" in result.output and "duplicate meter and timestamp" in result.output
    points = EmbeddedStore(tmp_path / "series.sqlite").points(start=0, end=2**31, meter_id="m-1")
    assert len(points) == 192 and abs(sum(p.energy for p in points) - 0.5 * 191) < 1e-6


def test_import_of_interval_values_builds_a_register(tmp_path: Path) -> None:
    rows = [[(START + timedelta(hours=i)).isoformat(), "m-2", 3.0, "site-x"] for i in range(10)]
    path = write_csv(tmp_path / "intervals.csv", rows)
    result = runner.invoke(
        app, ["--data-dir", str(tmp_path), "import", str(path), "--values", "interval", "--category", "elevator"]
    )
    assert result.exit_code == 0, result.output
    points = EmbeddedStore(tmp_path / "series.sqlite").points(start=0, end=2**31, meter_id="m-2")
    assert [p.register for p in points][-1] == 30.0


def test_import_rejects_unknown_meters_without_a_category(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.csv", registers("m-3", hours=2))
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "import", str(path)])
    assert result.exit_code == 1
    assert "meter not registered" in result.output


def test_score_writes_a_score_and_flag_for_every_reading(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(24 * 21):
        at = START + timedelta(hours=i)
        level = 10.0 if 19 <= at.hour < 23 else 0.5
        if i // 24 == 18 and 10 <= at.hour < 14:
            level += 8.0  # lights left on one late morning
        rows.append([at.isoformat(), "lights", round(level * (1 + 0.03 * rng.standard_normal()), 3)])
    path = write_csv(tmp_path / "hourly.csv", rows, header=("timestamp", "meter", "value"))
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "score", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as f:
        scored = list(csv.DictReader(f))
    assert len(scored) == len(rows)
    flagged = [r["timestamp"][:13] for r in scored if r["flag"] == "1"]
    assert flagged and all(t.startswith("2025-06-20T1") for t in flagged)
