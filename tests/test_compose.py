"""docker-compose.yml cannot run here (no Docker engine), so these tests keep it right."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import typer.main
import yaml

from core.settings import Settings, known_env_vars
from kilowatch.cli import app

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
KILOWATCH_SERVICES = [name for name, svc in SERVICES.items() if svc.get("image", "").startswith("kilowatch")]


def _command(service: dict) -> list[str]:
    cmd = service.get("command", [])
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def _interpolate(value: str) -> str:
    """Replace ${VAR...} with a placeholder, as compose would with a filled-in .env.

    One placeholder fits every variable: it is also the shape of a generated API key."""
    return re.sub(r"\$\{[^}]+\}", "kw_placeholder-" + "0" * 32, str(value))


def test_the_production_shape_has_every_part():
    assert {"mosquitto", "influxdb", "postgres", "ingest", "detect", "api", "simulator"} <= set(SERVICES)
    assert SERVICES["influxdb"]["image"].startswith("influxdb:2.7")
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


@pytest.mark.parametrize("name", KILOWATCH_SERVICES)
def test_every_variable_is_a_known_setting(name, monkeypatch):
    env = SERVICES[name].get("environment", {})
    unknown = sorted(k for k in env if k.startswith("KILOWATCH_") and k not in known_env_vars())
    assert not unknown, f"{name} sets unknown settings: {unknown}"
    for key, value in env.items():
        monkeypatch.setenv(key, _interpolate(value))
    settings = Settings()
    assert settings.mqtt.host == "mosquitto"
    assert settings.store.backend == "influx2"
    assert settings.database_url.startswith("postgresql://")


def test_mosquitto_requires_authentication():
    conf = (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    assert "allow_anonymous false" in conf
    assert "password_file" in conf
    env = SERVICES["ingest"]["environment"]
    assert "KILOWATCH_MQTT__USERNAME" in env and "KILOWATCH_MQTT__PASSWORD" in env


def test_no_secret_is_committed_in_the_compose_file():
    for service in SERVICES.values():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "TOKEN", "KEY")):
                assert str(value).startswith("${"), f"{key} must come from .env, not the file"


def test_known_env_vars_reject_a_typo():
    assert "KILOWATCH_MQTT__HOST" in known_env_vars()
    assert "KILOWATCH_MQTT__HSOT" not in known_env_vars()
