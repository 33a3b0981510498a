"""Several ``kilowatch detect`` processes share one portfolio through shard leases in a real PostgreSQL.

Each replica is a real process; they read one embedded store and one database. Passes are
numbered in ``detection_passes``; the database's ``detection_scans`` rows and each
replica's JSON line per pass (what its detector scanned) are the two witnesses.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from core.db.leases import shard_of
from core.db.registry import upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import DetectionPassRecord, DetectionScanRecord, DetectionShardRecord
from tests.models.simulated import registry, simulate
from tests.support import wait_for

KILOWATCH = Path(sys.executable).parent / "kilowatch"
SITES = 9
SHARDS = 3
#: Seconds per pass: room for a pass of the whole portfolio, and for a takeover in the same
#: pass, on a loaded machine (load average 12-14 on 2 cores when this was tuned).
INTERVAL_S = 12.0
#: Short, so a takeover fits in the first half of a pass; longer than one site's scan.
LEASE_S = 3.0


#: Injected into the replicas of the takeover test: a slower scan per site. On a quiet machine
#: a shard of three sites is scanned in well under the 20 ms the test polls at, too fast to be
#: caught half done.
SLOW_SITES = """
import time

from models import detection

_scan_site = detection.DetectionPass._scan_site


def _slow(self, *args, **kwargs):
    time.sleep({seconds})
    return _scan_site(self, *args, **kwargs)


detection.DetectionPass._scan_site = _slow
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory):
    directory = tmp_path_factory.mktemp("replicas-data")
    sim = simulate(directory, n_sites=SITES, seed=11, days=8, events_per_site_day=2.0)
    sim.store.close()
    return directory, sim.portfolio


@dataclass
class Fleet:
    """Replicas of ``kilowatch detect`` on one portfolio, their output files and the database."""

    data_dir: Path
    url: str
    engine: Engine
    sites: list[str]
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self, n: int, slow_site_s: float = 0.0) -> None:
        """``slow_site_s``: each site's scan first sleeps that long (injected by a sitecustomize), so
        a shard lasts long enough on any machine to be caught half done."""
        env = {
            **os.environ,
            "KILOWATCH_DATABASE__URL": self.url,
            "KILOWATCH_DETECT__SHARDS": str(SHARDS),
            "KILOWATCH_DETECT__INTERVAL_S": str(INTERVAL_S),
            "KILOWATCH_DETECT__LEASE_S": str(LEASE_S),
            "COLUMNS": "250",
        }
        if slow_site_s:
            inject = self.data_dir / "inject"
            inject.mkdir(exist_ok=True)
            (inject / "sitecustomize.py").write_text(SLOW_SITES.format(seconds=slow_site_s))
            env["PYTHONPATH"] = os.pathsep.join([str(inject), *filter(None, [os.environ.get("PYTHONPATH")])])
        for i in range(n):
            with (self.data_dir / f"replica-{i}.out").open("wb") as out, (self.data_dir / f"replica-{i}.err").open("wb") as err:
                self.procs.append(
                    subprocess.Popen(
                        [
                            str(KILOWATCH),
                            "--log-level",
                            "WARNING",
                            "--data-dir",
                            str(self.data_dir),
                            "detect",
                            "--json",
                            "--metrics-port",
                            "0",
                        ],
                        env=env,
                        stdout=out,
                        stderr=err,
                    )
                )

    def passes(self, i: int) -> list[dict]:
        """The JSON lines replica ``i`` printed, one per pass."""
        path = self.data_dir / f"replica-{i}.out"
        lines = path.read_text().splitlines() if path.exists() else []
        return [json.loads(line) for line in lines if line.startswith("{") and line.endswith("}")]

    def alive(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc.returncode is None and proc.poll() is not None:
                # pytest.fail, not an assertion: wait_for would retry an AssertionError until its timeout.
                pytest.fail(f"replica {i} exited {proc.returncode}: {(self.data_dir / f'replica-{i}.err').read_text()[-3000:]}")

    def scans(self) -> dict[int, Counter]:
        """Database record: per pass, how often each site was scanned."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(DetectionScanRecord.pass_no, DetectionScanRecord.site_id)).all()
        found: dict[int, Counter] = defaultdict(Counter)
        for pass_no, site_id in rows:
            found[pass_no][site_id] += 1
        return found

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def fleet(template, tmp_path, postgres_database):
    directory, portfolio = template
    data_dir = Path(shutil.copytree(directory, tmp_path / "data"))
    url = postgres_database()
    engine = create_db_engine(url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        for site in portfolio.sites:
            upsert_site(session, site, portfolio.meters[site.site_id])
    fleet = Fleet(data_dir, url, engine, sorted(s.site_id for s in portfolio.sites))
    yield fleet
    fleet.stop()
    engine.dispose()


def _by_pass(fleet: Fleet, replicas: range) -> dict[int, list[tuple[int, dict]]]:
    found: dict[int, list[tuple[int, dict]]] = defaultdict(list)
    for i in replicas:
        for line in fleet.passes(i):
            found[line["pass_no"]].append((i, line))
    return found


@pytest.mark.services
@pytest.mark.parametrize("replicas", [2, 3])
def test_replicas_scan_every_site_exactly_once_per_pass(fleet, replicas):
    fleet.start(replicas)
    everyone = range(replicas)

    def passes_by_all() -> list[int]:
        fleet.alive()
        # A pass every replica took part in: each printed a line for it.
        by_pass = _by_pass(fleet, everyone)
        return sorted(p for p, lines in by_pass.items() if {i for i, _ in lines} == set(everyone))

    together = wait_for(
        lambda: len(passes_by_all()) >= 2 and passes_by_all(),
        timeout=120,
        interval=0.5,
        what=f"two passes in which all {replicas} replicas took part",
    )
    by_pass, scans = _by_pass(fleet, everyone), fleet.scans()
    for pass_no in together:
        lines = [line for _, line in by_pass[pass_no]]
        listed = [s for line in lines for s in line["site_ids"]]
        assert sorted(listed) == fleet.sites, f"pass {pass_no}: {listed}"  # each site once, none missing
        # The detectors' own counts: no site scanned twice (a replica that lost a lease drops its count).
        assert sum(line["sites_scanned"] for line in lines) <= SITES
        assert not [w for line in lines for w in line["warnings"] if w["code"] == "detection_failed"]
        assert scans[pass_no] == Counter(fleet.sites)
    # Every pass, whoever took part, scanned every site (the last may still run).
    for pass_no in sorted(scans)[:-1]:
        assert scans[pass_no] == Counter(fleet.sites), f"pass {pass_no}: {dict(scans)} {dict(by_pass)}"
    # The work is shared: every replica scanned some shard.
    assert all(any(line["shards"] for p in together for j, line in by_pass[p] if j == i) for i in everyone)


def _caught_mid_shard(fleet: Fleet, pid: int) -> tuple[int, int, list[str]] | None:
    """(shard, pass, sites it scanned) when replica ``pid`` holds a shard it has begun but not
    finished, in the first half of a pass."""
    with fleet.engine.connect() as conn:
        now = float(conn.execute(text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")).scalar_one())
        pass_no, started_at = conn.execute(
            select(DetectionPassRecord.pass_no, DetectionPassRecord.started_at)
            .order_by(DetectionPassRecord.pass_no.desc())
            .limit(1)
        ).one()
    if now - started_at > INTERVAL_S / 2:
        return None
    with fleet.engine.connect() as conn:
        held = (
            conn.execute(
                select(DetectionShardRecord.shard).where(
                    DetectionShardRecord.holder.like(f"%:{pid}:%"), DetectionShardRecord.done_pass < pass_no
                )
            )
            .scalars()
            .all()
        )
        done = set(
            conn.execute(
                select(DetectionScanRecord.site_id).where(
                    DetectionScanRecord.pass_no == pass_no, DetectionScanRecord.holder.like(f"%:{pid}:%")
                )
            ).scalars()
        )
    for shard in held:
        sites = [s for s in fleet.sites if shard_of(s, SHARDS) == shard]
        begun = [s for s in sites if s in done]
        if begun and len(begun) < len(sites):
            return shard, pass_no, begun
    return None


@pytest.mark.services
def test_a_killed_replicas_shard_is_taken_over_within_a_pass_and_nothing_is_scanned_twice(fleet, record_testsuite_property):
    fleet.start(3, slow_site_s=0.4)
    wait_for(
        lambda: (fleet.alive() or True) and all(fleet.passes(i) for i in range(3)),
        timeout=120,
        interval=0.5,
        what="a pass from each of three replicas",
    )
    # The victim is whichever replica is first caught half way through a shard: which replica
    # holds a shard early in a pass is a race (a quick one may take two shards).
    caught, victim_index = None, -1
    deadline = time.monotonic() + 8 * INTERVAL_S
    while caught is None and time.monotonic() < deadline:
        for i, proc in enumerate(fleet.procs):
            if _caught_mid_shard(fleet, proc.pid) is not None:
                proc.send_signal(signal.SIGSTOP)
                # Frozen, it cannot move on: judge again, then kill it where it stands.
                caught = _caught_mid_shard(fleet, proc.pid)
                if caught is not None:
                    victim_index = i
                    break
                proc.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    assert caught is not None, "no replica was seen in the middle of a shard early in a pass"
    victim = fleet.procs[victim_index]
    survivors_at = [i for i in range(3) if i != victim_index]
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = time.monotonic()
    shard, pass_no, begun = caught

    def taken_over() -> bool:
        fleet.alive()
        with fleet.engine.connect() as conn:
            holder, done_pass = conn.execute(
                select(DetectionShardRecord.holder, DetectionShardRecord.done_pass).where(DetectionShardRecord.shard == shard)
            ).one()
        return done_pass >= pass_no or (holder is not None and f":{victim.pid}:" not in holder)

    wait_for(taken_over, timeout=INTERVAL_S, interval=0.05, what=f"shard {shard} taken over after the kill")
    taken_over_s = time.monotonic() - killed_at
    record_testsuite_property("takeover_s", round(taken_over_s, 2))  # docs/scaling.md quotes it (--junitxml)

    def finished() -> bool:
        fleet.alive()
        with fleet.engine.connect() as conn:
            return (
                conn.execute(select(DetectionPassRecord.finished_at).where(DetectionPassRecord.pass_no == pass_no)).scalar()
                is not None
            )

    wait_for(finished, timeout=3 * INTERVAL_S, interval=0.05, what=f"pass {pass_no} finished by the survivors")
    record_testsuite_property("pass_done_s", round(time.monotonic() - killed_at, 2))

    # The pass the victim died in: every site once, its finished sites not again.
    scans = fleet.scans()
    assert scans[pass_no] == Counter(fleet.sites)
    with fleet.engine.connect() as conn:
        assert (
            conn.execute(select(DetectionShardRecord.done_pass).where(DetectionShardRecord.shard == shard)).scalar_one()
            == pass_no
        )

    def next_pass_done() -> bool:
        fleet.alive()
        with fleet.engine.connect() as conn:
            finished = conn.execute(
                select(DetectionPassRecord.finished_at).where(DetectionPassRecord.pass_no == pass_no + 1)
            ).scalar()
        # Each survivor has printed its line of the pass of the kill (and is past it).
        return finished is not None and all(
            max((line["pass_no"] for line in fleet.passes(i)), default=0) > pass_no for i in survivors_at
        )

    wait_for(next_pass_done, timeout=3 * INTERVAL_S, interval=0.2, what="the pass after the kill, done by the survivors")
    with fleet.engine.connect() as conn:
        by_victim = set(
            conn.execute(
                select(DetectionScanRecord.site_id).where(
                    DetectionScanRecord.pass_no == pass_no, DetectionScanRecord.holder.like(f"%:{victim.pid}:%")
                )
            ).scalars()
        )
    assert set(begun) <= by_victim
    survivors = [line for i in survivors_at for line in fleet.passes(i) if line["pass_no"] == pass_no]
    rescanned = by_victim & {s for line in survivors for s in line["site_ids"]}
    assert not rescanned, f"scanned again after the kill: {rescanned}"
    assert sum(line["sites_scanned"] for line in survivors) <= SITES - len(by_victim)
    assert sorted(by_victim | {s for line in survivors for s in line["site_ids"]}) == fleet.sites
    assert shard in {s for line in survivors for s in line["shards"]}
    # The next pass goes on without the victim.
    assert fleet.scans()[pass_no + 1] == Counter(fleet.sites)
    with fleet.engine.connect() as conn:
        holders = set(
            conn.execute(select(DetectionScanRecord.holder).where(DetectionScanRecord.pass_no == pass_no + 1)).scalars()
        )
    assert not [h for h in holders if f":{victim.pid}:" in h]


def test_one_replica_on_the_embedded_database_scans_every_site_in_its_pass(template, tmp_path):
    directory, portfolio = template
    data_dir = Path(shutil.copytree(directory, tmp_path / "data"))
    registry(data_dir, portfolio).kw["bind"].dispose()
    result = subprocess.run(
        [str(KILOWATCH), "--log-level", "WARNING", "--data-dir", str(data_dir), "detect", "--once", "--json"],
        env={**os.environ, "KILOWATCH_DETECT__SHARDS": str(SHARDS)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["pass_no"] == 1 and sorted(line["shards"]) == list(range(SHARDS))
    assert sorted(line["site_ids"]) == sorted(s.site_id for s in portfolio.sites) and line["sites_scanned"] == SITES


def test_site_lists_and_shards_exclude_each_other(tmp_path):
    result = subprocess.run(
        [str(KILOWATCH), "--data-dir", str(tmp_path), "detect", "--once", "--metrics-port", "0", "--site", "site-0001"],
        env={**os.environ, "KILOWATCH_DETECT__SHARDS": "4", "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    assert "detect.shards" in result.stdout + result.stderr
