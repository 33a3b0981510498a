"""The ingest's default MQTT client id: one per host and data directory, the same across restarts."""

from __future__ import annotations

import re

import pytest

from core.settings import Settings, default_client_id


def test_the_default_names_the_host_and_a_short_hash_of_the_data_dir(tmp_path):
    client_id = Settings(data_dir=tmp_path).mqtt.client_id
    assert client_id == default_client_id(tmp_path)
    assert re.fullmatch(r"kilowatch-ingest-[A-Za-z0-9-]+-[0-9a-f]{8}", client_id)


def test_the_same_host_and_data_dir_give_the_same_id_on_every_start(tmp_path, monkeypatch):
    first = Settings(data_dir=tmp_path / "data").mqtt.client_id
    monkeypatch.chdir(tmp_path)
    assert Settings(data_dir="data").mqtt.client_id == first  # relative or absolute: one directory


def test_another_data_dir_or_another_host_gives_another_id(tmp_path):
    assert default_client_id(tmp_path / "a", "gw-1") != default_client_id(tmp_path / "b", "gw-1")
    assert default_client_id(tmp_path / "a", "gw-1") != default_client_id(tmp_path / "a", "gw-2")


def test_a_host_name_is_made_safe_for_a_client_id(tmp_path):
    client_id = default_client_id(tmp_path, "ingest box.example.com")
    assert client_id.startswith("kilowatch-ingest-ingest-box-example-com-")


@pytest.mark.parametrize("source", ["flag", "env", "toml"])
def test_a_client_id_set_anywhere_is_kept_as_given(tmp_path, monkeypatch, source):
    if source == "flag":
        settings = Settings(data_dir=tmp_path, mqtt={"client_id": "ingest-3"})
    elif source == "env":
        monkeypatch.setenv("KILOWATCH_MQTT__CLIENT_ID", "ingest-3")
        settings = Settings(data_dir=tmp_path)
    else:
        config = tmp_path / "kilowatch.toml"
        config.write_text('[mqtt]\nclient_id = "ingest-3"\n')
        monkeypatch.setenv("KILOWATCH_CONFIG", str(config))
        settings = Settings(data_dir=tmp_path)
    assert settings.mqtt.client_id == "ingest-3"


def test_other_mqtt_settings_leave_the_derived_id_in_place(tmp_path, monkeypatch):
    monkeypatch.setenv("KILOWATCH_MQTT__HOST", "mqtt.example.internal")
    assert Settings(data_dir=tmp_path).mqtt.client_id == default_client_id(tmp_path)


def test_the_compose_ingest_keeps_its_client_id_when_the_container_is_recreated():
    # A container's default hostname is its id, new on every recreate: the derived client id
    # (and the broker session holding queued messages) would change with it.
    from pathlib import Path

    import yaml

    ingest = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())["services"]["ingest"]
    assert ingest.get("hostname") or "KILOWATCH_MQTT__CLIENT_ID" in (ingest.get("environment") or {})
