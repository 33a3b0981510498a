"""The ``site_weather`` table: measured outdoor temperature per site and hour.

Why a table and not the series store: a site has one temperature an hour (8,760 rows a
year, against 50 meters' readings every few minutes), it is read once per detection pass
for one window, and a table gives the upsert an import needs (a corrected CSV replaces
its hours) on every store backend alike (InfluxDB 1/2, the embedded store).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import numpy as np
from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.tables import WeatherRecord
from core.weather import TemperaturePoint, hourly

#: Rows per statement: a year of one site in two round trips.
_CHUNK = 5000


def write_temperatures(session: Session, points: Iterable[TemperaturePoint], source: str) -> int:
    """Upsert hourly means of ``points`` (a later value for an hour replaces the stored one); rows written."""
    rows = [{"site_id": s, "hour": h, "temp_c": t, "source": source} for (s, h), t in sorted(hourly(points).items())]
    if not rows:
        return 0
    name = session.get_bind().dialect.name
    insert = postgresql.insert if name == "postgresql" else sqlite.insert
    table = cast(Table, WeatherRecord.__table__)  # a declarative table is a Table
    for i in range(0, len(rows), _CHUNK):
        statement = insert(table)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["site_id", "hour"],
                set_={"temp_c": statement.excluded.temp_c, "source": statement.excluded.source},
            ),
            rows[i : i + _CHUNK],
        )
    return len(rows)


def temperatures_at(session: Session, site_id: str, hours: np.ndarray) -> np.ndarray | None:
    """Measured temperature at each hour start of ``hours`` (sorted), NaN where none; None when the
    site has no measured hour in that span at all."""
    hours = np.asarray(hours, dtype=np.int64)
    if hours.size == 0:
        return None
    rows = session.execute(
        select(WeatherRecord.hour, WeatherRecord.temp_c).where(
            WeatherRecord.site_id == site_id, WeatherRecord.hour >= int(hours[0]), WeatherRecord.hour <= int(hours[-1])
        )
    ).all()
    if not rows:
        return None
    at = np.array([r[0] for r in rows], dtype=np.int64)
    temp = np.array([r[1] for r in rows], dtype=float)
    out = np.full(hours.size, np.nan)
    idx = np.searchsorted(hours, at)
    ok = (idx < hours.size) & (hours[np.minimum(idx, hours.size - 1)] == at)
    out[idx[ok]] = temp[ok]
    return out
