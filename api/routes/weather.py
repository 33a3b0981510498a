"""A site's measured outdoor temperature: imported as CSV, used by detection instead of its proxy."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from api.deps import CurrentKey, SessionDep, visible_site
from api.problems import Problem, forbidden
from api.schemas.common import problem_responses, utc
from api.schemas.weather import WeatherImport, WeatherImportPublic
from core.db.weather import write_temperatures
from core.weather_csv import parse_weather_csv

log = logging.getLogger(__name__)
router = APIRouter(tags=["sites"], responses=problem_responses(401, 403, 404, 422))


@router.post("/sites/{site_id}/weather", summary="Import a site's outdoor temperature (CSV)", response_model=WeatherImportPublic)
def import_site_weather(site_id: str, body: WeatherImport, session: SessionDep, key: CurrentKey) -> WeatherImportPublic:
    """Store the hourly outdoor temperature of a site; any bad line refuses the whole file (422, by line)."""
    visible_site(session, key, site_id)  # scope first: another site's is missing for everyone
    # Data about the site's operation, as acting on its alerts is: managers and admins.
    if not key.can_act_on_alerts:
        raise forbidden("import weather")
    parsed = parse_weather_csv(body.csv, site_id)
    if parsed.problems:
        first = parsed.problems[0]
        raise Problem(
            422,
            f"line {first.line}: {first.message}"
            + (f" (and {len(parsed.problems) - 1} more)" if len(parsed.problems) > 1 else ""),
            kind="validation",
            errors=[{"loc": ["body", "csv", p.line], "msg": p.message, "type": "value_error"} for p in parsed.problems],
        )
    hours = write_temperatures(session, parsed.points, "csv")
    session.commit()
    first_ts, last_ts = min(p.ts for p in parsed.points), max(p.ts for p in parsed.points)
    log.info("site %s: %d weather hours imported by %s %s", site_id, hours, key.via, key.key_id)
    return WeatherImportPublic(
        site_id=site_id,
        samples=len(parsed.points),
        hours=hours,
        first=utc(first_ts // 3600 * 3600),
        last=utc(last_ts // 3600 * 3600),
    )
