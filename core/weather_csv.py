"""Reading a site's outdoor temperature from CSV: ``ts,temp_c`` per line, a header first.

``ts`` as on the wire (ISO 8601 with a zone, or epoch seconds or milliseconds); ``temp_c``
in deg C within ``core.weather``'s range. An import is all or nothing: any bad line
refuses the file, and every refusal names its line (1 is the header), so a person can fix
the file and send it again. The API and ``kilowatch weather import`` share this parser.
"""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

from core.weather import InvalidTemperature, TemperaturePoint, check_temperature
from core.wire import parse_ts

#: Lines an import may hold: six years of hours. A bigger history goes in several files.
MAX_CSV_LINES = 52_560
#: Problems listed for a refused file: the first ones tell what is wrong with the rest.
MAX_LISTED = 20
HEADER = ("ts", "temp_c")


class LineProblem(NamedTuple):
    line: int
    message: str


class ParsedCsv(NamedTuple):
    points: list[TemperaturePoint]
    problems: list[LineProblem]


def parse_weather_csv(text: str, site_id: str) -> ParsedCsv:
    """The samples of ``text``, or the problems (at most ``MAX_LISTED``) that refuse it."""
    problems: list[LineProblem] = []
    points: list[TemperaturePoint] = []
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows, None)
    except csv.Error as exc:
        return ParsedCsv([], [LineProblem(1, f"not CSV: {exc}")])
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        found = ",".join(header or [])[:80]
        return ParsedCsv([], [LineProblem(1, f"the header must be 'ts,temp_c', found {found!r}")])
    try:
        for row in rows:
            line = rows.line_num
            if line > MAX_CSV_LINES:
                return ParsedCsv([], [LineProblem(line, f"more than {MAX_CSV_LINES} lines: split the file")])
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                points.append(_point(site_id, row))
            except ValueError as exc:
                problems.append(LineProblem(line, str(exc)))
            if len(problems) >= MAX_LISTED:
                break
    except csv.Error as exc:
        problems.append(LineProblem(rows.line_num, f"not CSV: {exc}"))
    if not problems and not points:
        problems.append(LineProblem(1, "no samples after the header"))
    return ParsedCsv([] if problems else points, problems)


def _point(site_id: str, row: list[str]) -> TemperaturePoint:
    """The sample of one line; ValueError says what is wrong with it."""
    if len(row) != 2:
        raise ValueError(f"expected 2 fields (ts,temp_c), found {len(row)}")
    return TemperaturePoint(site_id, _ts(row[0].strip()), check_temperature(_number(row[1].strip())))


def _ts(cell: str) -> int:
    try:
        value: object = float(cell) if cell.lstrip("-").replace(".", "", 1).isdigit() else cell
        return parse_ts(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad ts {cell[:40]!r}: {exc}") from None


def _number(cell: str) -> object:
    try:
        return float(cell)
    except ValueError:
        raise InvalidTemperature(f"temp_c {cell[:40]!r} is not a number") from None
