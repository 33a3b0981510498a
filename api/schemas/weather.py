"""Importing a site's measured outdoor temperature (CSV in a JSON body) and what was stored."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

#: Characters of CSV an import may carry: about 12,000 lines of ``2026-03-02T08:00:00Z,11.4``
#: (16 months of hours; a longer history goes in several imports). Bounded so that even a text
#: of escaped astral characters (12 JSON bytes each) stays under the API's 4 MB body limit and
#: gets this field's 422, not a bare 413.
MAX_CSV_CHARS = 300_000


class WeatherImport(BaseModel):
    """Hourly (or finer) outdoor temperatures as CSV text: a ``ts,temp_c`` header, then one sample a line."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"csv": "ts,temp_c\n2026-03-02T08:00:00Z,11.4\n2026-03-02T09:00:00Z,12.1\n"}]},
    )

    csv: str = Field(
        min_length=1,
        max_length=MAX_CSV_CHARS,
        description="ts (ISO 8601 with a zone, or epoch seconds) and temp_c (deg C, -90..70). "
        "Samples within one hour are averaged; a stored hour is replaced.",
    )


class WeatherImportPublic(BaseModel):
    """What an import stored."""

    site_id: str
    samples: int = Field(description="Lines read.", examples=[720])
    hours: int = Field(description="Hours written (created or replaced).", examples=[720])
    first: datetime = Field(description="Start of the first hour written (UTC).")
    last: datetime = Field(description="Start of the last hour written (UTC).")
