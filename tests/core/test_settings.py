"""Settings precedence: flags > environment > config file > defaults."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from core.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for key in list(__import__("os").environ):
        if key.startswith("KILOWATCH_"):
            monkeypatch.delenv(key)


def test_defaults_run_on_embedded_parts():
    settings = Settings()
    assert settings.store.backend == "embedded"
    assert settings.database_url.startswith("sqlite:///")


def test_config_file_overrides_defaults(tmp_path, monkeypatch):
    config = tmp_path / "kw.toml"
    config.write_text('[mqtt]\nhost = "from-file"\nport = 1999\n')
    monkeypatch.setenv("KILOWATCH_CONFIG", str(config))
    settings = Settings()
    assert (settings.mqtt.host, settings.mqtt.port) == ("from-file", 1999)


def test_environment_overrides_config_file(tmp_path, monkeypatch):
    config = tmp_path / "kw.toml"
    config.write_text('[mqtt]\nhost = "from-file"\nport = 1999\n')
    monkeypatch.setenv("KILOWATCH_CONFIG", str(config))
    monkeypatch.setenv("KILOWATCH_MQTT__HOST", "from-env")
    settings = Settings()
    assert (settings.mqtt.host, settings.mqtt.port) == ("from-env", 1999)


def test_flags_override_environment_without_dropping_siblings(monkeypatch):
    monkeypatch.setenv("KILOWATCH_MQTT__HOST", "from-env")
    monkeypatch.setenv("KILOWATCH_MQTT__PORT", "1999")
    settings = load_settings(mqtt={"port": 2000})
    assert (settings.mqtt.host, settings.mqtt.port) == ("from-env", 2000)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="config file not found"):
        load_settings(tmp_path / "absent.toml")


def test_unknown_setting_is_rejected(tmp_path, monkeypatch):
    config = tmp_path / "kw.toml"
    config.write_text("[mqtt]\nhots = 'typo'\n")
    monkeypatch.setenv("KILOWATCH_CONFIG", str(config))
    with pytest.raises(ValidationError):
        Settings()


def test_secrets_are_not_shown_in_repr(monkeypatch):
    monkeypatch.setenv("KILOWATCH_MQTT__PASSWORD", "hunter2-secret")
    monkeypatch.setenv("KILOWATCH_STORE__TOKEN", "tok-secret")
    text = repr(Settings()) + str(Settings().model_dump())
    assert "hunter2-secret" not in text and "tok-secret" not in text


def test_a_config_file_is_read_for_its_call_without_touching_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("KILOWATCH_CONFIG", raising=False)
    monkeypatch.delenv("KILOWATCH_MQTT__PORT", raising=False)
    config = tmp_path / "kw.toml"
    config.write_text("[mqtt]\nport = 1999\n")
    settings = load_settings(config, mqtt={"host": "from-flag"})
    assert (settings.mqtt.host, settings.mqtt.port) == ("from-flag", 1999)
    assert type(settings) is Settings
    assert "KILOWATCH_CONFIG" not in os.environ
    assert load_settings().mqtt.port == Settings().mqtt.port != 1999  # the next call reads no file


def test_the_environment_still_wins_over_a_config_file_given_by_flag(tmp_path, monkeypatch):
    config = tmp_path / "kw.toml"
    config.write_text("[mqtt]\nhost = 'from-file'\nport = 1999\n")
    monkeypatch.setenv("KILOWATCH_MQTT__HOST", "from-env")
    settings = load_settings(config)
    assert (settings.mqtt.host, settings.mqtt.port) == ("from-env", 1999)
