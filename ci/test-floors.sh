#!/usr/bin/env bash
# Install kilowatch with the lowest declared version of every dependency (ci/constraints-min.txt)
# into a throwaway venv, import every module, and run a smoke subset of the suite there.
# Measured 2026-12-07 on the 2-core machine shared with other work: the install 96-100 s
# (PyPI resolves the old versions at once; the time is downloading and unpacking numpy,
# scipy, scikit-learn, matplotlib), imports and smoke subset (233 tests) ~50 s: 156 s in all.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:-python3}
VENV=$(mktemp -d /tmp/kilowatch-floors.XXXXXX)
trap 'rm -rf "$VENV"' EXIT

start=$(date +%s)
"$PYTHON" -m venv "$VENV"
# Test tools are not pinned: only the runtime floors are under test.
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c ci/constraints-min.txt . pytest pytest-timeout trustme >"$VENV/pip.log" 2>&1; then
  grep -v "^WARNING: Location" "$VENV/pip.log" >&2
  echo "error: the dependency floors in ci/constraints-min.txt do not install together" >&2
  exit 1
fi
"$VENV/bin/python" - <<'PY'
# Every pinned floor is what got installed (pip may not silently pick another version).
import re, sys
from importlib.metadata import version
from packaging.version import Version
wrong = []
for line in open("ci/constraints-min.txt"):
    line = line.split("#")[0].strip()
    if line:
        name, pinned = line.split("==")
        if Version(version(name)) != Version(pinned):
            wrong.append(f"{name} {version(name)} (floor {pinned})")
if wrong:
    sys.exit("installed versions differ from the floors: " + ", ".join(wrong))
PY
echo "floors installed in $(( $(date +%s) - start )) s"

# The source tree, not the copy pip installed: the tests import tests.* beside it.
export PYTHONPATH="$PWD"
"$VENV/bin/python" - <<'PY'
import importlib, pkgutil
failed = []
for package in ("core", "ingest", "models", "api", "simulators", "kilowatch"):
    for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # report every module that does not import, then fail
            failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
if failed:
    raise SystemExit("modules that do not import at the dependency floors:\n  " + "\n  ".join(failed))
print("every module imports at the dependency floors")
PY
"$VENV/bin/python" -m pytest -q -p no:cacheprovider --timeout 300 \
  tests/test_architecture.py tests/test_cli.py tests/core/test_settings.py \
  tests/models/test_profile.py tests/api/test_health.py tests/api/test_carbon.py \
  tests/db/test_migrations.py tests/store/test_contract.py tests/store/test_influx_v2_flux.py \
  tests/ingest/test_storage.py tests/ingest/test_tls.py \
  -k "not concurrent"
echo "dependency floors checked in $(( $(date +%s) - start )) s"
