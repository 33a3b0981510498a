"""Named evaluation scenarios: what the simulated world is like around the injected events.

- ``classic``: the simulator of sessions 1-4. Every site of a type keeps its type's opening
  hours, occupancy is steady, the weather is smooth, noise is independent per reading,
  history is clean, faults never touch waste. The detector was tuned on it.
- ``realistic`` (the default for reported figures): each site's hours drawn at random and
  changed once on a random day of the evaluation period; occupancy drifting; weather with
  spells and fronts; noise and day-to-day levels calibrated on real buildings
  (docs/simulator-calibration.md); waste already present in the training history (not scored);
  faults that may fall on waste.
- ``realistic-steady-hours``: realistic, but each site keeps its drawn hours all run (to tell
  what the mid-run change costs from what the rest costs).
- ``schedule-change``: the classic world without any waste or fault, where every site opens an
  hour earlier and closes two hours later from the middle of the evaluation period (an
  office's 8-19 becomes 7-21): every alert is false.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.timebase import DAY
from simulators import Portfolio
from simulators.realism import Realism, SiteHours, random_hours, widened_hours

#: Calibrated on the real dev buildings (docs/simulator-calibration.md gives the command and
#: the sweep): lag-one correlation of each meter's 15-minute noise. The hourly residual of real
#: whole-building kWh around its hour-of-week median has a lag-one autocorrelation of 0.83-0.91;
#: 0.97 per 15 minutes is 0.89 per hour.
NOISE_RHO = 0.97
#: Multiplier of every category's noise sd. The simulated site totals' residual is already
#: above the real one (0.22 against 0.13 of the mean, from weather-driven HVAC and the changing
#: hours), and 0.7-1.0 hardly moved it: the categories' own noise is kept.
NOISE_SCALE = 1.0
#: Standard deviation of a site's day-to-day level. Real daily kWh varies 9-14 % around its day
#: kind's median; the simulated sites vary 15 % before any day level, so the smallest one swept.
DAY_SD = 0.03
#: Spread across sites of the weekly drift of occupancy (a share of activity per week).
DRIFT_PER_WEEK = 0.03
#: Waste planned in the training history, as a share of the evaluation period's rate.
HISTORY_WASTE_SHARE = 0.5


@dataclass(frozen=True)
class Scenario:
    name: str
    #: Waste planned in the history before the evaluation period (a share of the mix); not scored.
    history_waste: float = 0.0
    #: Faults and meter events may fall on waste (never on each other).
    faults_overlap_waste: bool = False
    #: False: no waste and no fault at all (every alert is false).
    events: bool = True
    #: Realistic: each site's drawn hours change once during the evaluation period.
    hours_change: bool = True

    def realism(self, portfolio: Portfolio, start: int, eval_start: int, end: int, seed: int) -> Realism | None:
        """What the simulation adds for this scenario; None for the classic one."""
        if self.name.startswith("realistic"):
            hours = random_hours(portfolio.sites, seed, (eval_start + 2 * DAY, end - 2 * DAY))
            if not self.hours_change:  # the same draws, the change left out
                hours = {site: SiteHours(h.periods[:1]) for site, h in hours.items()}
            return Realism(
                hours=hours,
                drift_per_week=DRIFT_PER_WEEK,
                drift_origin=start,
                fronts=True,
                noise_rho=NOISE_RHO,
                noise_scale=NOISE_SCALE,
                day_sd=DAY_SD,
                seed=seed,
            )
        if self.name == "schedule-change":
            return Realism(hours=widened_hours(portfolio.sites, change_day(eval_start, end)), seed=seed)
        return None


def change_day(eval_start: int, end: int) -> int:
    """When the schedule-change scenario widens every site's hours: the local midnight nearest
    before the middle of the evaluation period."""
    return eval_start + (end - eval_start) // (2 * DAY) * DAY


SCENARIOS: dict[str, Scenario] = {
    "classic": Scenario("classic"),
    "realistic": Scenario("realistic", history_waste=HISTORY_WASTE_SHARE, faults_overlap_waste=True),
    "realistic-steady-hours": Scenario(
        "realistic-steady-hours", history_waste=HISTORY_WASTE_SHARE, faults_overlap_waste=True, hours_change=False
    ),
    "schedule-change": Scenario("schedule-change", events=False),
}
DEFAULT_SCENARIO = "realistic"
