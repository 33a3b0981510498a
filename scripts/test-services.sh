#!/usr/bin/env bash
# Make sure the servers the test suite talks to are installed (and PostgreSQL is running).
# As root on Debian/Ubuntu it installs what is missing; otherwise it says what to install.
# Tests start their own Mosquitto and InfluxDB on free ports; PostgreSQL is used as installed.
set -euo pipefail

missing=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v influxd >/dev/null 2>&1 || [ -x /usr/bin/influxd ] || missing+=(influxdb)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
# CJK fonts, so that dashboard screenshots in Chinese show glyphs rather than boxes.
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
# Prometheus and promtool: tests/deploy/test_prometheus.py checks the shipped config and dashboard.
command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ] || missing+=(prometheus)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing test services from Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing test services: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
    echo "Tests that need them will be skipped." >&2
  fi
fi

# PostgreSQL: the tests use the server on 127.0.0.1:5432 (or KILOWATCH_TEST_POSTGRES_URL).
if [ -z "${KILOWATCH_TEST_POSTGRES_URL:-}" ] && command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
      version=$(ls /etc/postgresql | sort -V | tail -n 1)
      echo "Starting PostgreSQL $version ..."
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    pg_isready -q -h 127.0.0.1 -p 5432 || echo "PostgreSQL is not answering on 127.0.0.1:5432; its tests will try a private server." >&2
  fi
fi
