"""docker-compose.yml cannot run here (no Docker engine), so these tests keep it right."""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from datetime import date
from pathlib import Path

import click
import pytest
import typer.main
import yaml

from core.settings import Settings, known_env_vars
from kilowatch.cli import app
from kilowatch.commands.simulate import window

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
KILOWATCH_SERVICES = [name for name, svc in SERVICES.items() if svc.get("image", "").startswith("kilowatch")]
INFLUX2_OVERRIDE = ROOT / "deploy/compose.influx2.yml"
# Sequences compose replaces in an override instead of appending to (compose spec, "Merge").
_REPLACED = {"command", "entrypoint", "test", "profiles"}


def _target(entry: object) -> object:
    """What a volume or port entry is keyed by when files are merged: its container side."""
    return str(entry).split(":")[1] if isinstance(entry, str) and ":" in str(entry) else entry


def _merged(base: object, override: object, key: str = "") -> object:
    """``docker compose -f base -f override``: mappings merge, volumes and ports join by target."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = _merged(base[k], v, k) if k in base else v
        return out
    if isinstance(base, list) and isinstance(override, list) and key not in _REPLACED:
        kept = {_target(e): e for e in base}
        kept.update({_target(e): e for e in override})
        return list(kept.values())
    return override


def _settings_of(service: dict, monkeypatch) -> Settings:
    for key, value in service.get("environment", {}).items():
        monkeypatch.setenv(key, _interpolate(value))
    return Settings()


def _command(service: dict) -> list[str]:
    """The argv a service runs; a ``sh -c`` script is expanded as its shell would (``$(...)`` run here)."""
    cmd = service.get("command", [])
    argv = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    if argv[:2] != ["sh", "-c"]:
        return argv
    script = argv[2].replace("$$", "$")  # compose's escape for a literal $
    script = re.sub(
        r"\$\(([^()]*)\)",
        lambda m: subprocess.run(["sh", "-c", m.group(1)], capture_output=True, text=True, check=True).stdout.strip(),
        script,
    )
    argv = shlex.split(script)
    return argv[1:] if argv[0] == "exec" else argv


def _params(argv: list[str]) -> dict:
    """The options of a kilowatch command line, as the CLI's own parser reads them."""
    group = typer.main.get_command(app)
    ctx = click.Context(group, info_name="kilowatch")
    return group.get_command(ctx, argv[1]).make_context(argv[1], argv[2:], parent=ctx).params


def _interpolate(value: str) -> str:
    """Replace ${VAR...} with a placeholder, as compose would with a filled-in .env.

    One placeholder fits every variable: it is also the shape of a generated API key."""
    return re.sub(r"\$\{[^}]+\}", "kw_placeholder-" + "0" * 32, str(value))


def test_the_production_shape_has_every_part():
    assert {"mosquitto", "influxdb", "postgres", "ingest", "detect", "api", "simulator"} <= set(SERVICES)
    # The store CI tests against a real server: InfluxDB 1.x over its v1 HTTP API.
    assert SERVICES["influxdb"]["image"].startswith("influxdb:1.")
    assert SERVICES["simulator"]["profiles"] == ["simulator"]


def test_long_running_services_have_healthchecks():
    for name, service in SERVICES.items():
        if service.get("restart") != "no":
            assert "healthcheck" in service, f"{name} has no healthcheck"


def test_kilowatch_services_are_built_from_the_dockerfile():
    assert (ROOT / "Dockerfile").is_file()
    assert KILOWATCH_SERVICES, "no kilowatch service found"
    for name in KILOWATCH_SERVICES:
        assert SERVICES[name]["build"] == ".", name


@pytest.mark.parametrize("name", KILOWATCH_SERVICES)
def test_every_command_exists_in_the_cli(name):
    argv = _command(SERVICES[name])
    assert argv[0] == "kilowatch"
    group = typer.main.get_command(app)
    ctx = click.Context(group, info_name="kilowatch")
    cmd = group.get_command(ctx, argv[1])
    assert cmd is not None, f"{name}: no command {argv[1]!r}"
    try:
        cmd.make_context(argv[1], argv[2:], parent=ctx)
    except click.UsageError as exc:
        pytest.fail(f"{name}: {' '.join(argv)} is not a valid invocation: {exc}")


def test_the_simulator_backfills_up_to_now_then_publishes_live_at_the_clock():
    # Faster than the clock, live readings run ahead of now and ingest refuses them
    # (future_timestamp): --days 30 --speed 60 was ahead after about a minute.
    params = _params(_command(SERVICES["simulator"]))
    assert params["speed"] is not None and params["speed"] <= 1, params["speed"]
    start = date.fromisoformat(params["start"]) if params["start"] else None
    span = window(params["days"], start, params["step"], True, time.time())
    assert span.live_from is not None
    assert (span.live_from - span.first) / 86400 >= 7, "a week or more of history for the detector to learn"


@pytest.mark.parametrize("name", KILOWATCH_SERVICES)
def test_every_variable_is_a_known_setting(name, monkeypatch):
    env = SERVICES[name].get("environment", {})
    unknown = sorted(k for k in env if k.startswith("KILOWATCH_") and k not in known_env_vars())
    assert not unknown, f"{name} sets unknown settings: {unknown}"
    settings = _settings_of(SERVICES[name], monkeypatch)
    assert settings.mqtt.host == "mosquitto"
    assert settings.store.backend == "influx1"
    assert settings.store.url == "http://influxdb:8086"
    assert settings.store.database == SERVICES["influxdb"]["environment"]["INFLUXDB_DB"]
    assert settings.store.username == SERVICES["influxdb"]["environment"]["INFLUXDB_USER"]
    assert settings.store.password is not None
    assert settings.database_url.startswith("postgresql://")


def test_influxdb_1x_is_initialised_with_the_users_and_limits_kilowatch_needs():
    env = SERVICES["influxdb"]["environment"]
    assert env["INFLUXDB_HTTP_AUTH_ENABLED"] == "true"
    # The kilowatch user's password is the one the services log in with.
    assert env["INFLUXDB_USER_PASSWORD"] == SERVICES["ingest"]["environment"]["KILOWATCH_STORE__PASSWORD"]
    # docs/scaling.md: the in-memory index refuses the 100,001st meter.
    assert env["INFLUXDB_DATA_INDEX_VERSION"] == "tsi1"
    assert env["INFLUXDB_DATA_MAX_VALUES_PER_TAG"] == "0"
    assert "/ping" in " ".join(SERVICES["influxdb"]["healthcheck"]["test"])


INFLUX2 = _merged(COMPOSE, yaml.safe_load(INFLUX2_OVERRIDE.read_text()))


@pytest.mark.parametrize("name", KILOWATCH_SERVICES)
def test_the_influx2_override_switches_every_service_to_influxdb_2(name, monkeypatch):
    assert INFLUX2["services"]["influxdb"]["image"].startswith("influxdb:2.")
    service = INFLUX2["services"][name]
    unknown = sorted(k for k in service["environment"] if k.startswith("KILOWATCH_") and k not in known_env_vars())
    assert not unknown
    settings = _settings_of(service, monkeypatch)
    assert settings.store.backend == "influx2"
    assert settings.store.token is not None
    env = INFLUX2["services"]["influxdb"]["environment"]
    assert (settings.store.org, settings.store.bucket) == (env["DOCKER_INFLUXDB_INIT_ORG"], env["DOCKER_INFLUXDB_INIT_BUCKET"])
    assert settings.mqtt.host == "mosquitto"  # the rest is unchanged
    assert service["command"] == SERVICES[name]["command"]


def test_the_influx2_server_can_resolve_the_carbon_time_zone():
    # Flux's timezone.location(name: "Asia/Shanghai") fails without a zone database.
    volumes = INFLUX2["services"]["influxdb"]["volumes"]
    assert any(str(v).split(":")[1] == "/usr/share/zoneinfo" for v in volumes)
    assert INFLUX2["services"]["influxdb"]["healthcheck"]["test"] == ["CMD", "influx", "ping"]


def _required_variables(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))


def test_env_example_names_every_variable_the_compose_files_require():
    example = (ROOT / ".env.example").read_text()
    given = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.M))
    for path in (ROOT / "docker-compose.yml", INFLUX2_OVERRIDE):
        missing = _required_variables(path.read_text()) - given
        assert not missing, f"{path.name} requires {sorted(missing)}, which .env.example does not name"


def test_mosquitto_requires_authentication():
    conf = (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    assert "allow_anonymous false" in conf
    assert "password_file" in conf
    env = SERVICES["ingest"]["environment"]
    assert "KILOWATCH_MQTT__USERNAME" in env and "KILOWATCH_MQTT__PASSWORD" in env


def test_mosquitto_offers_tls_on_8883_with_mounted_certificates():
    conf = (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    tls = conf[conf.index("listener 8883") :]
    mounts = dict(str(v).split(":")[1::-1] for v in SERVICES["mosquitto"]["volumes"] if str(v).startswith("./"))
    for option in ("cafile", "certfile", "keyfile"):
        path = re.search(rf"^{option} (\S+)$", tls, flags=re.M).group(1)
        assert any(path.startswith(target + "/") for target in mounts), f"{option} {path} is not mounted"
    assert "8883:8883" in SERVICES["mosquitto"]["ports"]
    # Plain MQTT stays on the compose network: passwords do not cross the network in clear.
    assert not any(str(p).endswith(":1883") for p in SERVICES["mosquitto"]["ports"])


@pytest.mark.parametrize("path", ["docker-compose.yml", "deploy/compose.influx2.yml"])
def test_no_secret_is_committed_in_the_compose_file(path):
    services = yaml.safe_load((ROOT / path).read_text())["services"]
    for service in services.values():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "TOKEN", "KEY")):
                assert str(value).startswith("${"), f"{key} must come from .env, not the file"


def test_known_env_vars_reject_a_typo():
    assert "KILOWATCH_MQTT__HOST" in known_env_vars()
    assert "KILOWATCH_MQTT__HSOT" not in known_env_vars()


# --- The `monitoring` profile: Prometheus and Grafana --------------------------------------

MONITORING = ("prometheus", "grafana")
PROMETHEUS = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
GRAFANA_SOURCES = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/kilowatch.yml").read_text())["datasources"]
GRAFANA_PROVIDERS = yaml.safe_load((ROOT / "deploy/grafana/provisioning/dashboards/kilowatch.yml").read_text())["providers"]


def _mounts(service: dict) -> dict[str, Path]:
    """Container path -> repository path of a service's bind mounts."""
    return {str(v).split(":")[1]: ROOT / str(v).split(":")[0] for v in service.get("volumes", []) if str(v).startswith("./")}


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def _targets(job: str) -> list[str]:
    [config] = [c for c in PROMETHEUS["scrape_configs"] if c["job_name"] == job]
    return [t for sc in config["static_configs"] for t in sc["targets"]]


@pytest.mark.parametrize("name", MONITORING)
def test_monitoring_services_run_only_with_the_monitoring_profile_on_pinned_images(name):
    service = SERVICES[name]
    assert service["profiles"] == ["monitoring"]
    tag = service["image"].partition(":")[2]
    assert tag and tag != "latest", f"{name} image {service['image']} is not pinned to a version"


def test_prometheus_loads_the_shipped_config():
    prometheus = SERVICES["prometheus"]
    config = next(a.split("=", 1)[1] for a in _command(prometheus) if a.startswith("--config.file="))
    assert _mounts(prometheus)[config] == ROOT / "deploy/prometheus/prometheus.yml"


def test_prometheus_scrapes_ingest_and_detect_on_the_ports_their_commands_serve():
    assert _targets("kilowatch-ingest") == [f"ingest:{_option(_command(SERVICES['ingest']), '--metrics-port')}"]
    assert _targets("kilowatch-detect") == [f"detect:{_option(_command(SERVICES['detect']), '--metrics-port')}"]


def test_prometheus_scrapes_the_api_with_the_admin_key_from_a_secret_file():
    assert _targets("kilowatch-api") == [f"api:{_option(_command(SERVICES['api']), '--port')}"]
    [api] = [c for c in PROMETHEUS["scrape_configs"] if c["job_name"] == "kilowatch-api"]
    assert api["metrics_path"] == "/metrics" and api["authorization"]["type"] == "Bearer"
    # The file is the compose secret holding the same variable the API's admin key comes from.
    secret = api["authorization"]["credentials_file"].removeprefix("/run/secrets/")
    assert secret in SERVICES["prometheus"]["secrets"]
    variable = COMPOSE["secrets"][secret]["environment"]
    assert SERVICES["api"]["environment"]["KILOWATCH_API__ADMIN_KEY"].startswith("${" + variable + ":")
    assert "credentials" not in api["authorization"], "the key must not be written into prometheus.yml"


def test_grafana_provisions_the_influxdb_the_services_write_to():
    grafana = SERVICES["grafana"]
    mounts = _mounts(grafana)
    assert mounts["/etc/grafana/provisioning"] == ROOT / "deploy/grafana/provisioning"
    [influx] = [s for s in GRAFANA_SOURCES if s["type"] == "influxdb"]
    env = SERVICES["influxdb"]["environment"]
    assert influx["url"] == SERVICES["ingest"]["environment"]["KILOWATCH_STORE__URL"]
    assert influx["jsonData"]["dbName"] == env["INFLUXDB_DB"]
    assert influx["jsonData"]["version"] == "InfluxQL"
    assert influx["user"] == env["INFLUXDB_USER"]
    # The password is read from Grafana's environment, which takes it from the same .env variable.
    assert influx["secureJsonData"]["password"] == "$INFLUXDB_PASSWORD"
    assert grafana["environment"]["INFLUXDB_PASSWORD"] == env["INFLUXDB_USER_PASSWORD"]


def test_grafana_reaches_prometheus_on_the_compose_network():
    [prom] = [s for s in GRAFANA_SOURCES if s["type"] == "prometheus"]
    host, port = prom["url"].removeprefix("http://").split(":")
    assert host == "prometheus" and any(str(p).endswith(f":{port}") for p in SERVICES["prometheus"]["ports"])


def test_grafana_loads_the_shipped_dashboards_and_they_use_only_provisioned_datasources():
    import json

    [provider] = GRAFANA_PROVIDERS
    folder = _mounts(SERVICES["grafana"])[provider["options"]["path"]]
    assert folder == ROOT / "deploy/grafana/dashboards"
    dashboards = sorted(folder.glob("*.json"))
    assert dashboards, "no dashboard shipped"
    home = SERVICES["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert folder / home.removeprefix(provider["options"]["path"] + "/") in dashboards
    uids = {s["uid"]: s["type"] for s in GRAFANA_SOURCES}
    for path in dashboards:
        text = path.read_text()
        refs = re.findall(r'"datasource":\s*\{\s*"type":\s*"(\w+)",\s*"uid":\s*"([\w-]+)"', text)
        assert refs, f"{path.name} names no datasource"
        for kind, uid in refs:
            assert uids.get(uid) == kind, f"{path.name} uses datasource {uid!r} ({kind}), which is not provisioned"
        json.loads(text)
