"""scripts/bootstrap.sh (behind `make demo`) shows its steps and pip's progress instead of minutes of silence.

Runs the real script on a stand-in project (no dependencies, installs offline), so the
test checks what a person sees, not how long PyPI takes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PYPROJECT = """\
[project]
name = "kilowatch-bootstrap-probe"
version = "0.0.1"

[project.optional-dependencies]
dev = []

[project.scripts]
kilowatch = "probe:main"

[tool.setuptools]
py-modules = ["probe"]
"""


def test_bootstrap_prints_each_step_how_long_it_takes_and_pips_progress(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap.sh", tmp_path / "scripts" / "bootstrap.sh")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "probe.py").write_text("def main():\n    print('probe')\n")
    (tmp_path / "setup.py").write_text("from setuptools import setup\n\nsetup()\n")
    # Offline: pip stays as the venv has it, and the stand-in installs with the venv's own
    # setuptools through `setup.py develop` (an editable wheel would need `wheel` from PyPI).
    env = os.environ | {"PIP_NO_INDEX": "1", "PIP_USE_PEP517": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        ["bash", "scripts/bootstrap.sh", sys.executable, ".venv"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    steps = [line for line in output.splitlines() if line.startswith(("[1/3]", "[2/3]", "[3/3]"))]
    assert len(steps) == 3, output
    assert "usually 2 to 3 minutes" in steps[2]
    # pip's own lines between the last step and the end: the long step is no longer silent.
    after = output.split(steps[2], 1)[1]
    assert "kilowatch-bootstrap-probe" in after and "Successfully installed" in after, output
    assert output.strip().splitlines()[-1].startswith("Installed in ")
