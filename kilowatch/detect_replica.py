"""One ``kilowatch detect`` replica's part of each pass, over the shards it can lease (``core.db.leases``).

A replica that runs out of free shards while others hold the rest of the pass keeps
polling, so the shard of a replica that died is taken over once its lease expires: within
the pass interval when ``detect.lease_s`` is well below ``detect.interval_s``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, fields
from functools import partial

from core.db.leases import LeaseLost, ShardLeases
from models.detection import DetectionPass, DetectionReport

log = logging.getLogger(__name__)

#: Scan records kept (in passes): 500,000 rows for 5,000 sites; enough to audit the last
#: hour or two. Pruned by whoever finishes shard 0, so once per pass.
KEEP_PASSES = 100


@dataclass(frozen=True, slots=True)
class ReplicaPass:
    """What this replica did in one pass."""

    pass_no: int
    report: DetectionReport
    shards: tuple[int, ...]
    site_ids: tuple[str, ...]


def merged(reports: list[DetectionReport]) -> DetectionReport:
    """One report for the shards a replica scanned in a pass: counts summed, warnings joined
    (a portfolio-wide one, such as the calendar's, once rather than once per shard)."""
    counts: dict[str, int] = {
        f.name: sum(getattr(r, f.name) for r in reports) for f in fields(DetectionReport) if f.name != "warnings"
    }
    unique = {(w.code, w.message, w.site_id, w.meter_id): w for r in reports for w in r.warnings}
    return DetectionReport(**counts, warnings=tuple(unique.values()))


class Replica:
    """Runs passes of ``detector`` over leased shards until ``stop`` is set."""

    def __init__(self, detector: DetectionPass, leases: ShardLeases, stop: threading.Event) -> None:
        self.detector = detector
        self.leases = leases
        self.stop = stop
        # Free shards are looked for this often while others hold the rest of the pass.
        self.poll_s = min(1.0, leases.lease_s / 4)

    def run_pass(self) -> ReplicaPass | None:
        """Scan shards of the current pass until none is left; None when asked to stop first."""
        leases = self.leases
        while (pass_no := leases.begin_pass()) is None:
            if self.stop.wait(leases.seconds_to_next_pass()):
                return None
        by_shard = leases.sites_by_shard()
        reports: list[DetectionReport] = []
        shards: list[int] = []
        scanned: list[str] = []
        while not self.stop.is_set():
            shard = leases.claim(pass_no)
            if shard is None:
                if leases.pending(pass_no) == 0:
                    break
                self.stop.wait(self.poll_s)
                continue
            if shard == 0:
                leases.prune(pass_no - KEEP_PASSES)
            todo = leases.unscanned(pass_no, by_shard.get(shard, []))
            if not todo:  # an empty shard, or a dead holder finished it: no registry read for nothing
                leases.complete(shard, pass_no)
                shards.append(shard)
                continue
            report = self._scan(shard, pass_no, todo)
            if report is not None:
                reports.append(report)
                shards.append(shard)
            scanned.extend(leases.scanned_here(pass_no, todo))
        return ReplicaPass(pass_no, merged(reports), tuple(shards), tuple(scanned))

    def _scan(self, shard: int, pass_no: int, todo: list[str]) -> DetectionReport | None:
        """Scan the sites ``todo`` of a claimed shard and complete it; None when its lease was lost meanwhile."""
        leases = self.leases
        record = partial(leases.record, shard=shard, pass_no=pass_no)
        try:
            report = self.detector.run(site_ids=todo, on_scanned=record)
        except LeaseLost:
            # Paused past the lease (or a clock jump): the new holder scans the rest.
            log.warning("lost the lease of shard %d in pass %d; its new holder goes on", shard, pass_no)
            return None
        except BaseException:
            leases.release(shard)
            raise
        if not leases.complete(shard, pass_no):
            log.warning("shard %d was taken over just after its last site in pass %d", shard, pass_no)
        return report

    def wait_next(self) -> bool:
        """Sleep until the next pass is due; True when asked to stop."""
        return self.stop.wait(self.leases.seconds_to_next_pass())
