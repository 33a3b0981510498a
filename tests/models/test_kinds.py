"""The public-space waste checks name an hour's excess by meter category and context."""

from __future__ import annotations

import numpy as np

from core.domain import MeterCategory as C
from models.kinds import UNSETTLED_STRONG_SHARE, episode_kind, hour_kinds, is_scored, strong_shares


def kinds(category: C, hours: list[int], daylight: float = 0.0, open_: float = 0.0) -> set[str]:
    n = len(hours)
    return set(hour_kinds(category, local_hours=np.array(hours), daylight=np.full(n, daylight), open_=np.full(n, open_)).tolist())


def test_lighting_in_daylight_is_lights_daylight() -> None:
    assert kinds(C.CORRIDOR_LIGHTING, [10, 11, 12], daylight=1.0) == {"lights_daylight"}


def test_lighting_in_the_dark_is_lights_after_hours() -> None:
    assert kinds(C.LOBBY_LIGHTING, [1, 2, 3]) == {"lights_after_hours"}


def test_hvac_outside_opening_hours_is_after_hours() -> None:
    assert kinds(C.PUBLIC_HVAC, [21, 22, 23], open_=0.0) == {"hvac_after_hours"}


def test_hvac_while_open_is_not_judged_because_it_follows_the_weather() -> None:
    assert kinds(C.CHILLER, [10, 11, 12], open_=1.0) == {""}


def test_pump_at_night_is_pump_night_and_by_day_generic_excess() -> None:
    assert kinds(C.WATER_PUMP, [23, 0, 1]) == {"pump_night"}
    assert kinds(C.WATER_PUMP, [10, 11], open_=1.0) == {"baseline_excess"}


def test_elevator_while_closed_is_idling_and_compressor_excess_is_a_leak() -> None:
    assert kinds(C.ELEVATOR, [2, 3]) == {"elevator_idle"}
    assert kinds(C.AIR_COMPRESSOR, [10, 2], open_=1.0) == {"compressed_air_leak"}


def test_a_lift_at_night_while_the_site_is_open_is_not_idling() -> None:
    # A mall open to 23:30: its lifts serve shoppers at 23:00, busy or not as they come.
    assert kinds(C.ELEVATOR, [23], open_=1.0) == {""}
    assert kinds(C.ELEVATOR, [10, 11], open_=1.0) == {"baseline_excess"}
    assert kinds(C.ELEVATOR, [23, 0, 1], open_=0.0) == {"elevator_idle"}


def test_lobby_lights_while_the_doors_are_open_are_not_waste_of_a_lighting_kind() -> None:
    # An office now open to 22:00, not 20:30: its lobby lit fully at 20:00 is lit for the doors.
    assert kinds(C.LOBBY_LIGHTING, [20, 21], open_=1.0) == {""}
    assert kinds(C.LOBBY_LIGHTING, [8, 9], daylight=1.0, open_=1.0) == {""}
    assert kinds(C.LOBBY_LIGHTING, [22, 23], open_=0.0) == {"lights_after_hours"}
    # Lights switched with the sun are judged by the sun whatever the doors do.
    assert kinds(C.CORRIDOR_LIGHTING, [10, 11], daylight=1.0, open_=1.0) == {"lights_daylight"}


def test_an_episode_takes_the_kind_holding_most_of_its_excess() -> None:
    hourly = np.array(["lights_after_hours", "lights_daylight", "lights_daylight"], dtype=object)
    assert episode_kind(hourly, np.array([10.0, 1.0, 1.0])) == "lights_after_hours"
    assert episode_kind(hourly, np.array([1.0, 5.0, 5.0])) == "lights_daylight"


def test_generation_and_gas_are_not_scored() -> None:
    assert not is_scored(C.PV) and not is_scored(C.GAS)
    assert is_scored(C.CORRIDOR_LIGHTING)


def test_lighting_hours_at_sunrise_and_sunset_and_next_to_them_are_not_settled() -> None:
    daylight = np.array([0.0, 0.0, 0.0, 0.4, 1.0, 1.0, 1.0, 1.0, 0.7, 0.0, 0.0, 0.0])
    settled = strong_shares(C.LANDSCAPE_LIGHTING, daylight) == 0
    assert settled.tolist() == [True, True, False, False, False, True, True, False, False, False, True, True]
    assert strong_shares(C.LANDSCAPE_LIGHTING, daylight)[3] == UNSETTLED_STRONG_SHARE
    assert strong_shares(C.WATER_PUMP, daylight) is None


def test_lobby_lights_never_alert_on_one_hour_two_hours_either_side_of_a_door_switch() -> None:
    # Lobby lights switch with the doors: an office whose close moved from 17:00 to 18:30 lit its
    # lobby at 17:00 for days before training held the new level (realistic seed 2027); one whose
    # opening moved from 6:30 to 5:30 lit it at 06:00 at half its draw more (realistic 31415).
    daylight = np.ones(12)
    open_ = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0])  # opens at index 4, closes at 10
    lobby = strong_shares(C.LOBBY_LIGHTING, daylight, open_)
    assert np.flatnonzero(np.isinf(lobby)).tolist() == [2, 3, 4, 5, 8, 9, 10, 11]
    assert (lobby[[0, 1, 6, 7]] == 0).all()
    # Lighting on a photocell or a clock does not switch with the doors.
    assert (strong_shares(C.CORRIDOR_LIGHTING, daylight, open_) == 0).all()


def test_lights_left_on_all_night_are_after_hours_even_where_the_sun_rises_early() -> None:
    # A northern mall in June, closed 22:00-10:00: the sun is up from 03:00, so seven of the
    # twelve hours the lights burn are in daylight; they were left on for the night all the same.
    hours = np.array([22, 23, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    daylight = np.where((hours >= 3) & (hours < 20), 1.0, 0.0)
    hourly = hour_kinds(C.LOBBY_LIGHTING, local_hours=hours, daylight=daylight, open_=np.zeros(hours.size))
    assert episode_kind(hourly, np.full(hours.size, 5.0)) == "lights_after_hours"


def test_lights_on_in_the_morning_sun_are_daylight_whether_or_not_the_site_is_open() -> None:
    hours = np.array([7, 8, 9, 10, 11, 12])
    for open_ in (0.0, 1.0):
        hourly = hour_kinds(
            C.CORRIDOR_LIGHTING, local_hours=hours, daylight=np.ones(hours.size), open_=np.full(hours.size, open_)
        )
        assert episode_kind(hourly, np.full(hours.size, 5.0)) == "lights_daylight"


def test_a_door_switch_just_after_the_newest_hour_unsettles_the_hours_before_it() -> None:
    open_ahead = np.array([1, 1, 1, 1, 0, 0])  # four scanned hours, then two known closed
    assert np.flatnonzero(strong_shares(C.LOBBY_LIGHTING, np.zeros(4), open_ahead) > 0).tolist() == [2, 3]
