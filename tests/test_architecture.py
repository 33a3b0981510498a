"""The layout tells the data flow; these tests keep the dependency directions true.

simulators -> (MQTT) -> ingest -> (store) -> models -> (alerts) -> api, with ``core``
shared by all and ``kilowatch`` (the command line) the only place that wires them.
"""

from __future__ import annotations

import ast
import sys
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


# A model learns the building; the simulator may not be its teacher. Importing is forbidden
# above; these catch a copy of the simulator's tables instead of an import.


def site_type_hour_tables(package: str) -> dict[str, dict[str, frozenset[tuple[int, int]]]]:
    """Literal dicts keyed by ``SiteType.X`` in ``package``: file -> {X: the (open, close) pairs in its value}."""
    out: dict[str, dict[str, frozenset[tuple[int, int]]]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Dict) or not node.keys:
                continue
            if not all(
                isinstance(k, ast.Attribute) and isinstance(k.value, ast.Name) and k.value.id == "SiteType" for k in node.keys
            ):
                continue
            table = {}
            for key, value in zip(node.keys, node.values, strict=True):
                pairs = {
                    (e.elts[0].value, e.elts[1].value)
                    for e in ast.walk(value)
                    if isinstance(e, ast.Tuple)
                    and len(e.elts) == 2
                    and all(isinstance(x, ast.Constant) and isinstance(x.value, (int, float)) for x in e.elts)
                    and 0 <= e.elts[0].value < e.elts[1].value <= 24
                }
                if pairs:
                    table[key.attr] = frozenset(pairs)
            if table:
                out[f"{path.relative_to(ROOT)}:{node.lineno}"] = table
    return out


def copied_hour_tables(models: dict, simulators: dict) -> list[str]:
    """Tables of ``models`` giving two or more site types the same hours as a simulators table."""
    return [
        f"{m} copies {s}"
        for m, mt in models.items()
        for s, st in simulators.items()
        if sum(1 for t, pairs in mt.items() if pairs & st.get(t, frozenset())) >= 2
    ]


def test_models_do_not_copy_the_simulators_opening_hours():
    copies = copied_hour_tables(site_type_hour_tables("models"), site_type_hour_tables("simulators"))
    assert not copies, copies


def test_the_copy_check_finds_a_copied_table(tmp_path, monkeypatch):
    simulated = site_type_hour_tables("simulators")
    assert simulated, "the simulator's opening hours table is no longer found: update the check"
    fake = tmp_path / "models"
    fake.mkdir()
    (fake / "hours.py").write_text(
        "HOURS = {SiteType.OFFICE: ((8, 19), None), SiteType.MALL: ((10, 22), (10, 22))}\n"
        "OTHER = {SiteType.OFFICE: (7, 21), SiteType.MALL: (9, 23)}\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    copies = copied_hour_tables(site_type_hour_tables("models"), simulated)
    assert len(copies) == 1 and copies[0].startswith("models/hours.py:1 ")
