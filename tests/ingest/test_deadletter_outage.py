"""PostgreSQL stopped: a rejected message never holds up meter data; its dead letter waits in
a local file and is copied to the table, once, when the database is back.

Runs on a private PostgreSQL started by the test (initdb + pg_ctl), so it may be stopped.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.db.session import create_db_engine, migrate, session_factory
from core.wire import reading_topic
from ingest.deadletter import DeadLetter
from ingest.deadletter_file import DeadLetterFile
from tests.fixtures.postgres import PrivateServer, _pg_bin
from tests.ingest.conftest import METERS, NOW, SITE, dead_letters, wait_dead_letters, wait_stored
from tests.support import missing, wait_for

LOBBY = METERS[0].meter_id
T0 = NOW - 3600


class StoppablePostgres(PrivateServer):
    """A private cluster that can be stopped and started again on the same port and data."""

    def start(self) -> str:
        self.url = super().start()
        return self.url

    def pause(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _pg_bin("pg_ctl"), "-D", str(self.datadir), "-o", options, "-l", str(self.workdir / "server.log"), "-w", "start"
        )


@pytest.fixture(scope="module")
def postgres() -> Iterator[StoppablePostgres]:
    server = StoppablePostgres()
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.SubprocessError, AssertionError) as exc:
        server.stop()
        missing(f"a private PostgreSQL did not start: {exc}")
    yield server
    server.stop()


@pytest.fixture
def sessions(postgres) -> Iterator[sessionmaker[Session]]:
    """The registry and dead-letter table on the stoppable PostgreSQL (overrides the SQLite one)."""
    engine = create_db_engine(postgres.url)
    migrate(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE dead_letters, meters, sites CASCADE")
    yield session_factory(engine)
    engine.dispose()


def malformed(publisher, text: bytes) -> None:
    publisher.raw(reading_topic(SITE.site_id, LOBBY, publisher.prefix), text)


def test_meter_data_keeps_flowing_while_postgres_is_down_and_the_dead_letter_is_copied_once_back(
    postgres, start_worker, publisher, store, sessions, tmp_path
):
    letters = tmp_path / "deadletters"
    worker = start_worker(worker_args={"dead_letter_path": letters})
    publisher.announce(SITE, METERS)
    wait_for(lambda: worker.stats.announcements == 1, what="announcement applied")
    publisher.reading(LOBBY, T0, 1.0)
    wait_stored(store, LOBBY, 1)

    postgres.pause()
    try:
        malformed(publisher, b'{"v": 1, "ts": ')
        publisher.readings(LOBBY, [(T0 + 900, 2.0), (T0 + 1800, 3.0)])
        wait_for(lambda: worker.stats.pending == 0, what="everything settled and acknowledged")
        publisher.reading(LOBBY, T0 + 2700, 4.0)
        wait_stored(store, LOBBY, 4)  # the rejected message stalls none of the readings behind it
        assert worker.stats.rejected["malformed_json"] == 1
        assert len((letters / "letters.jsonl").read_bytes().splitlines()) == 1
    finally:
        postgres.resume()

    [row] = wait_dead_letters(sessions, 1)
    assert (row.kind, row.payload, row.received_at) == ("malformed_json", b'{"v": 1, "ts": ', NOW)
    wait_for(lambda: not any(letters.iterdir()), what="the dead-letter file removed after the copy")

    malformed(publisher, b"[]")
    rows = wait_dead_letters(sessions, 2)  # straight to the table again
    assert [r.kind for r in rows] == ["malformed_json", "malformed_json"]


def letter(n: int, received_at: int = NOW) -> DeadLetter:
    return DeadLetter(f"kilowatch/v1/s/m{n}/reading", "malformed_json", f"bad {n}", b"\x00\xff" * n, received_at)


def test_a_copy_repeated_after_its_commit_inserts_nothing_twice(postgres, sessions, tmp_path):
    file = DeadLetterFile(tmp_path / "deadletters")
    file.append([letter(1), letter(2), letter(2)])  # two identical letters are two rows
    file.path.replace(file.copying)  # a copy under way ...
    kept = file.copying.read_bytes()

    assert file.copy_to(sessions) == 3
    file.copying.write_bytes(kept)  # ... whose process died after COMMIT, before deleting the file
    assert file.copy_to(sessions) == 0

    assert sorted((r.topic, r.payload) for r in dead_letters(sessions)) == sorted(
        (x.topic, x.payload) for x in (letter(1), letter(2), letter(2))
    )
    assert not file.pending()
    file.append([letter(3)])
    assert file.copy_to(sessions) == 1 and len(dead_letters(sessions)) == 4


def test_a_copy_while_postgres_is_down_keeps_the_file_for_later(postgres, sessions, tmp_path):
    file = DeadLetterFile(tmp_path / "deadletters")
    file.append([letter(1)])
    postgres.pause()
    try:
        with pytest.raises(OperationalError):
            file.copy_to(sessions)
        file.append([letter(2)])  # while the first is being copied: a new file
    finally:
        postgres.resume()
    assert file.pending()

    assert file.copy_to(sessions) == 1  # the interrupted copy first ...
    assert file.copy_to(sessions) == 1  # ... then the letters that came after it
    assert sorted(r.reason for r in dead_letters(sessions)) == ["malformed_json: bad 1", "malformed_json: bad 2"]
    assert not file.pending() and not any(file.directory.iterdir())
