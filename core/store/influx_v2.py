"""The InfluxDB 2.x backend: line protocol writes and Flux queries through influxdb-client."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import urllib3
from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.flux_table import FluxRecord
from influxdb_client.client.write_api import SYNCHRONOUS

from core.domain import EnergyPoint
from core.settings import StoreSettings
from core.store import flux, line_protocol as lp
from core.store.base import StoreUnavailable
from core.store.daily import (
    DEFAULT_TIMEZONE,
    NETTING_INTERVAL_S,
    DayEnergy,
    MeterSum,
    QuarterSum,
    day_rows,
    day_start,
    import_from_quarters,
    quarter_rows,
    sum_for,
)
from core.store.flux import MAX_S as _MAX_S, MIN_S as _MIN_S, flux_string
from core.store.influx_http import chunks, failure, redacted
from core.store.segment_plan import SegmentsFromDays

__all__ = ["InfluxV2Store", "flux_string"]

T = TypeVar("T")
#: influxdb-client's precisions are str constants; its annotations name their class.
_SECONDS = cast(WritePrecision, WritePrecision.S)

#: Sites per grid-import query: each is one equality in the filter, which the storage
#: engine evaluates per series; longer queries mean fewer round trips but a bigger plan.
SITES_PER_QUERY = 500


class InfluxV2Store(SegmentsFromDays):
    """``SeriesStore`` over InfluxDB 2.x: writes to ``settings.bucket``, reads with Flux."""

    def __init__(self, settings: StoreSettings) -> None:
        self.bucket = settings.bucket
        self.org = settings.org
        self.where = redacted(settings.url)
        credentials: dict[str, Any] = {}  # the client's keyword arguments are untyped
        if settings.token is not None:
            credentials["token"] = settings.token.get_secret_value()
        elif settings.username:
            credentials["username"] = settings.username
            credentials["password"] = settings.password.get_secret_value() if settings.password else ""
        # influxdb-client takes milliseconds; it does not retry synchronous calls
        # unless told to, which is what we want: the caller decides on retries.
        self._client = InfluxDBClient(url=settings.url, org=settings.org, timeout=int(settings.timeout_s * 1000), **credentials)
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        self._query_api = self._client.query_api()

    def _call(self, action: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except InfluxDBError as exc:
            status = getattr(exc, "status", None) or (exc.response.status if getattr(exc, "response", None) else 0)
            message = f"InfluxDB {action} at {self.where} failed with HTTP {status}: {str(exc.message)[:500]}"
            raise failure(status, message) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreUnavailable(f"InfluxDB at {self.where} unreachable: {type(exc).__name__}") from exc

    def write(self, points: Sequence[EnergyPoint]) -> None:
        if not points:
            return
        lines = lp.encode_all(points)
        for chunk in chunks(lines):
            self._call(
                "write",
                functools.partial(
                    self._write_api.write, bucket=self.bucket, org=self.org, record=chunk, write_precision=_SECONDS
                ),
            )

    def _records(self, query: str) -> list[FluxRecord]:
        tables = self._call("query", lambda: self._query_api.query(query, org=self.org))
        return [record for table in tables for record in table.records]

    def _source(self, start: int, end: int, fields: Sequence[str], **tags: str | None) -> str:
        return flux.source(self.bucket, start, end, fields, None, (), **tags)

    def points(
        self,
        *,
        start: int,
        end: int,
        site_id: str | None = None,
        meter_id: str | None = None,
    ) -> list[EnergyPoint]:
        if end <= start:
            return []
        query = self._source(start, end, ("register", "energy"), site=site_id, meter=meter_id) + (
            '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
        )
        result = [p for p in map(_point, self._records(query)) if p is not None]
        result.sort(key=lambda p: (p.meter_id, p.ts))
        return result

    def energy_by_meter(self, *, site_id: str, start: int, end: int) -> dict[str, float]:
        if end <= start:
            return {}
        query = self._source(start, end, ("energy",), site=site_id) + ('  |> group(columns: ["meter"])\n  |> sum()\n')
        return {str(r.values["meter"]): float(r.get_value()) for r in self._records(query) if r.get_value() is not None}

    def energy_by_day(self, *, start: int, end: int, site_id: str | None = None, tz: str = DEFAULT_TIMEZONE) -> list[DayEnergy]:
        # Summed and counted on the server: one row per meter and local day comes back.
        if end <= start:
            return []
        zone = ZoneInfo(tz)
        rows: dict[tuple[str, str, int], MeterSum] = {}
        for record in self._records(flux.daily_energy(self.bucket, start, end, tz, site_id)):
            value = record.get_value()
            if value is None:
                continue
            values = record.values
            site, meter = str(values.get(lp.TAG_SITE) or ""), str(values.get(lp.TAG_METER) or "")
            # A first window cut short by ``start`` begins at ``start``, not at midnight.
            day = day_start(int(record.get_time().timestamp()), zone)
            # A re-tagged meter has one series per category: its days add up.
            entry = sum_for(rows, (site, meter, day), str(values.get(lp.TAG_CATEGORY) or ""))
            if values.get("result") == flux.COUNT_RESULT:
                entry.readings += int(value)
            else:
                entry.energy += float(value)
        return day_rows({key: entry for key, entry in rows.items() if entry.readings})

    def grid_import_by_day(
        self, *, start: int, end: int, site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        # Quarter-hour sums per site and category on the server; netted here, as influx1 does.
        if end <= start or not site_ids:
            return {}
        ordered = sorted(set(site_ids))
        quarters: dict[tuple[str, int], QuarterSum] = {}
        for i in range(0, len(ordered), SITES_PER_QUERY):
            query = flux.quarter_energy(self.bucket, start, end, ordered[i : i + SITES_PER_QUERY])
            for record in self._records(query):
                value = record.get_value()
                if value is None:
                    continue
                ts = int(record.get_time().timestamp())
                key = (str(record.values.get(lp.TAG_SITE) or ""), ts - ts % NETTING_INTERVAL_S)
                quarters.setdefault(key, QuarterSum()).add(str(record.values.get(lp.TAG_CATEGORY) or ""), float(value))
        return import_from_quarters(quarter_rows(quarters), tz)

    def latest(self, *, site_id: str | None = None) -> dict[str, EnergyPoint]:
        # last() runs per series and field; both fields of a point share its time,
        # so pivoting on _time puts them back together.
        query = self._source(_MIN_S, _MAX_S, ("register", "energy"), site=site_id) + (
            '  |> last()\n  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
        )
        newest: dict[str, EnergyPoint] = {}
        for point in map(_point, self._records(query)):
            # A re-tagged meter has several series: keep the newest of them.
            if point is not None and (point.meter_id not in newest or point.ts > newest[point.meter_id].ts):
                newest[point.meter_id] = point
        return newest

    def ping(self) -> None:
        # ping() swallows every error and answers False.
        if not self._client.ping():
            raise StoreUnavailable(f"InfluxDB at {self.where} does not answer /ping")

    def close(self) -> None:
        self._write_api.close()
        self._client.close()


def _point(record: FluxRecord) -> EnergyPoint | None:
    values = record.values
    register, energy = values.get("register"), values.get("energy")
    if register is None or energy is None:
        return None  # written by something else with only one of our fields
    return EnergyPoint(
        site_id=str(values.get(lp.TAG_SITE) or ""),
        meter_id=str(values.get(lp.TAG_METER) or ""),
        category=str(values.get(lp.TAG_CATEGORY) or ""),
        ts=int(record.get_time().timestamp()),
        register=float(register),
        energy=float(energy),
    )
