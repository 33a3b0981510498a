"""Every API setting reaches the app: ``ApiOptions.from_settings`` carries each field by name."""

from __future__ import annotations

from dataclasses import fields

from pydantic import SecretStr

from api.options import SERVER_SETTINGS, ApiOptions
from core.settings import ApiSettings


def _changed(value: object) -> object:
    """A value of the same type that differs from ``value``."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value * 3 + 7
    if isinstance(value, str):
        return value + "https://kilowatch.example/"
    if value is None:  # the admin key
        return SecretStr("kw_" + "a" * 43)
    raise AssertionError(f"no changed value for {value!r}: extend this test")


def _every_setting_changed() -> ApiSettings:
    defaults = ApiSettings()
    return ApiSettings(**{name: _changed(getattr(defaults, name)) for name in ApiSettings.model_fields})


def test_every_api_setting_is_carried_into_the_options_or_is_the_servers():
    settings = _every_setting_changed()
    options = ApiOptions.from_settings(settings)
    option_names = {f.name for f in fields(ApiOptions)}

    not_carried = {
        name
        for name in ApiSettings.model_fields
        if name not in SERVER_SETTINGS and (name not in option_names or getattr(options, name) != getattr(settings, name))
    }
    assert not not_carried, f"settings that never reach the app: {sorted(not_carried)}"


def test_server_settings_are_real_settings_the_options_do_not_hold():
    option_names = {f.name for f in fields(ApiOptions)}

    assert SERVER_SETTINGS <= set(ApiSettings.model_fields)
    assert not SERVER_SETTINGS & option_names


def test_options_default_to_the_settings_defaults():
    defaults, options = ApiSettings(), ApiOptions()

    shared = set(ApiSettings.model_fields) & {f.name for f in fields(ApiOptions)}
    assert shared
    assert {name: getattr(options, name) for name in shared} == {name: getattr(defaults, name) for name in shared}
