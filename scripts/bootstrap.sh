#!/usr/bin/env bash
# Create the virtual environment and install kilowatch into it (used by `make`).
# On a fresh Debian/Ubuntu machine, installs python3-venv first when running as root.
set -euo pipefail
PYTHON=${1:-python3}
VENV=${2:-.venv}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "error: $PYTHON not found. Install Python 3.11 or newer (apt-get install python3)." >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: kilowatch needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)." >&2
  echo "       Run: make PYTHON=python3.11 ..." >&2
  exit 1
fi
STARTED=$SECONDS
if [ ! -x "$VENV/bin/python" ]; then
  echo "[1/3] Creating the virtual environment $VENV ..."
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Installing python3-venv (Debian's venv module) ..."
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv "$VENV"
    else
      echo "error: the Python venv module is missing. Run: sudo apt-get install python3-venv" >&2
      exit 1
    fi
  fi
else
  echo "[1/3] Using the virtual environment $VENV"
fi
echo "[2/3] Upgrading pip in $VENV ..."
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# Not --quiet: on a fresh machine this step downloads and builds for minutes, and a
# silent terminal looks hung. pip prints each package and a progress bar per download.
echo "[3/3] Installing kilowatch and its dependencies (usually 2 to 3 minutes on a fresh machine; pip lists each package) ..."
"$VENV/bin/python" -m pip install --progress-bar on -e '.[dev]'
"$VENV/bin/kilowatch" --help >/dev/null
echo "Installed in $(( (SECONDS - STARTED) / 60 )) min $(( (SECONDS - STARTED) % 60 )) s: $VENV/bin/kilowatch"
