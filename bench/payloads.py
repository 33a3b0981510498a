"""The benchmark's messages: per-meter readings and gateway batches, as files of lines.

Each file feeds one ``mosquitto_pub -l`` process (one topic per process), so the
publisher is Mosquitto's own C client and never the bottleneck.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from core import wire
from core.domain import Meter, MeterCategory, Reading, Site, SiteType
from core.timebase import HOUR

#: Parallel publishers; each owns one meter (per-meter mode) or one site (batch mode).
PUBLISHERS = 8
#: Meters a gateway batch carries (a mid-sized building's public-space meters).
METERS_PER_BATCH = 50
STEP_S = 60


@dataclass(frozen=True)
class Stream:
    """One publisher's topic and payload file."""

    topic: str
    path: Path
    messages: int
    readings: int


def _site(i: int) -> Site:
    return Site(f"bench-{i:03d}", f"bench {i}", SiteType.OFFICE, "Shanghai", "上海", 31.2, 121.5)


def portfolio(batch: bool) -> list[tuple[Site, list[Meter]]]:
    per_site = METERS_PER_BATCH if batch else 1
    return [
        (site, [Meter(f"{site.site_id}-m{j:02d}", site.site_id, MeterCategory.PUBLIC_HVAC, 50.0) for j in range(per_site)])
        for site in (_site(i) for i in range(PUBLISHERS))
    ]


def write_streams(workdir: Path, prefix: str, readings: int, batch: bool) -> list[Stream]:
    """Files of payload lines adding up to about ``readings`` readings, oldest first."""
    sites = portfolio(batch)
    per_publisher = readings // PUBLISHERS
    steps = per_publisher // METERS_PER_BATCH if batch else per_publisher
    start = int(time.time()) - steps * STEP_S - HOUR  # in the past, within the accepted age
    streams = []
    for site, meters in sites:
        path = workdir / f"{site.site_id}-{'batch' if batch else 'meter'}.lines"
        with path.open("wb") as out:
            for step in range(steps):
                ts = start + step * STEP_S
                rs = [Reading(site.site_id, m.meter_id, ts, 1000.0 + step * 0.25 + k) for k, m in enumerate(meters)]
                out.write((wire.encode_batch(site.site_id, rs) if batch else wire.encode_reading(rs[0])) + b"\n")
        topic = wire.batch_topic(site.site_id, prefix) if batch else wire.reading_topic(site.site_id, meters[0].meter_id, prefix)
        streams.append(Stream(topic, path, steps, steps * len(meters)))
    return streams


def meta_messages(prefix: str, batch: bool) -> list[tuple[str, bytes]]:
    return [(wire.meta_topic(site.site_id, prefix), wire.encode_meta(site, meters)) for site, meters in portfolio(batch)]
