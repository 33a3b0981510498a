"""The dependency floors in pyproject.toml are the versions ci/test-floors.sh installs and tests."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CONSTRAINTS = ROOT / "ci/constraints-min.txt"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _floors() -> dict[str, Version]:
    floors = {}
    for line in PROJECT["dependencies"]:
        requirement = Requirement(line)
        lower = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{line}: every runtime dependency declares one floor (>=)"
        floors[_normal(requirement.name)] = lower[0]
    return floors


def _pins() -> dict[str, Version]:
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_normal(name)] = Version(version)
    return pins


def test_every_floor_is_pinned_in_the_minimum_constraints():
    floors, pins = _floors(), _pins()
    assert sorted(floors) == sorted(pins), "ci/constraints-min.txt and pyproject.toml name different packages"
    differ = {name: (str(floors[name]), str(pins[name])) for name in floors if floors[name] != pins[name]}
    assert not differ, f"floor in pyproject.toml vs ci/constraints-min.txt: {differ}"


def test_the_scikit_learn_floor_has_validate_data():
    # sklearn.utils.validation.validate_data, which the baselines import, arrived in 1.6.
    assert _floors()["scikit-learn"] >= Version("1.6")


def test_the_floor_check_runs_with_the_full_suite():
    makefile = (ROOT / "Makefile").read_text()
    assert "ci/test-floors.sh" in makefile
    test_target = re.search(r"^test:.*?(?=^\S)", makefile, flags=re.M | re.S).group(0)
    assert "test-floors" in test_target
    assert "make test" in (ROOT / ".ci/run").read_text()
