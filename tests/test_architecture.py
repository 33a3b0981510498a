"""The layout tells the data flow; these tests keep the dependency directions true.

simulators -> (MQTT) -> ingest -> (store) -> models -> (alerts) -> api, with ``core``
shared by all and ``kilowatch`` (the command line) the only place that wires them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("core", "simulators", "ingest", "models", "api", "kilowatch")

#: What each package must never import.
FORBIDDEN = {
    "core": {"simulators", "ingest", "models", "api", "kilowatch"},
    "simulators": {"ingest", "models", "api", "kilowatch"},
    "ingest": {"simulators", "models", "api", "kilowatch"},
    "models": {"simulators", "ingest", "api", "kilowatch"},
    "api": {"simulators", "ingest", "models", "kilowatch"},
    "kilowatch": set(),
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def package_imports(package: str) -> dict[Path, set[str]]:
    return {p: imported_packages(p) for p in sorted((ROOT / package).rglob("*.py"))}


@pytest.mark.parametrize("package", LAYERS)
def test_package_respects_the_dependency_direction(package):
    offences = {
        str(path.relative_to(ROOT)): sorted(names & FORBIDDEN[package])
        for path, names in package_imports(package).items()
        if names & FORBIDDEN[package]
    }
    assert not offences, f"{package} imports what it must not: {offences}"


def test_only_the_command_line_imports_api():
    for package in LAYERS:
        if package in ("api", "kilowatch"):
            continue
        for path, names in package_imports(package).items():
            assert "api" not in names, f"{path} imports api"


def test_the_rule_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from models.detection import DetectionPass\nimport api.app\n")
    assert {"models", "api"} <= imported_packages(bad)
