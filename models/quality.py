"""Data-quality findings that travel with a result, and the baseline sufficiency check.

A finding is data, not a log line: detection returns them on its report so the API can
show a facility manager which meters could not be judged and why.

Codes
-----
no_data              the store holds no points for a site or meter in the window
unregistered_meter   points arrive for a meter the registry does not know
gap, register_reset, register_rollover, spike, stuck_register
                     data faults between readings (see models.faults); stored as
                     ``DataFindingRecord`` rows, never as waste
insufficient_history too few days of training data to trust a baseline (a new meter
                     then borrows a similar meter's profile, see models.bank)
low_coverage         too many training hours are missing to trust a baseline
emission_factor_missing  no published factor for the site's province and year
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Fewer days than this cannot show a weekly rhythm, not even workday against weekend;
#: more would delay the first alerts on a newly connected site.
MIN_HISTORY_DAYS = 3.0
#: Share of training hours that must be present. Lower lets a baseline learn from a few
#: scattered hours and mistake the missing ones' pattern; higher blocks sites with
#: ordinary gateway outages.
MIN_HOURLY_COVERAGE = 0.8


@dataclass(frozen=True, slots=True)
class DataWarning:
    """One structured data-quality finding about a site or one of its meters."""

    code: str
    message: str
    site_id: str
    meter_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "site_id": self.site_id,
            "meter_id": self.meter_id,
            "data": dict(self.data),
        }


def check_sufficiency(
    valid: np.ndarray,
    *,
    site_id: str,
    meter_id: str,
    min_days: float = MIN_HISTORY_DAYS,
    min_coverage: float = MIN_HOURLY_COVERAGE,
) -> list[DataWarning]:
    """Warnings explaining why a training window of hourly ``valid`` flags is not enough.

    ``valid`` holds one boolean per hour of the training window (True: the hour's
    consumption is known). Coverage counts from the first known hour, so a meter
    connected recently is judged on the days it has existed. An empty list means a
    baseline may be fitted.
    """
    valid = np.asarray(valid, dtype=bool)
    known = np.flatnonzero(valid)
    valid = valid[known[0] :] if known.size else valid
    present = int(valid.sum())
    findings: list[DataWarning] = []
    if present < min_days * 24:
        findings.append(
            DataWarning(
                code="insufficient_history",
                message=f"only {present / 24:.1f} days of usable hourly data; a baseline needs {min_days:g}",
                site_id=site_id,
                meter_id=meter_id,
                data={"hours_present": present, "hours_required": int(min_days * 24)},
            )
        )
    if valid.size and present / valid.size < min_coverage:
        findings.append(
            DataWarning(
                code="low_coverage",
                message=f"{present / valid.size:.0%} of training hours present; a baseline needs {min_coverage:.0%}",
                site_id=site_id,
                meter_id=meter_id,
                data={"hours_present": present, "hours_in_window": int(valid.size), "min_coverage": min_coverage},
            )
        )
    return findings
