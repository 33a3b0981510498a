"""What both InfluxDB backends share on the wire: write chunks, what a failed request means, addresses fit for logs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.store.base import StoreRejected, StoreUnavailable

__all__ = ["RETRYABLE_4XX", "WRITE_CHUNK_LINES", "bodies", "chunks", "failure", "redacted"]

#: Lines per write request. InfluxData recommends 5,000-10,000 points per batch:
#: larger bodies risk the server's max-body-size (25 MB) and write-timeout (10 s),
#: smaller ones spend more time on round trips than on writing.
WRITE_CHUNK_LINES = 5000
#: Statuses where the data is fine but the server is not (or not for us, yet): credentials,
#: permissions and a missing database or bucket are fixed by an operator, so keep the data.
RETRYABLE_4XX = frozenset({401, 403, 404, 408, 429})
#: Partial-write errors of a server that is full, not of bad points: InfluxDB 1.x's inmem
#: index accepts at most 100,000 values of one tag (``max-values-per-tag``), so meter ids
#: past the 100,000th are refused while the rest of the batch is written. Retried and
#: spooled like an outage until an operator raises the limit (the retry rewrites the
#: whole batch, which is idempotent), instead of being dead-lettered point by point.
CAPACITY_ERRORS = ("max-values-per-tag limit exceeded", "max-series-per-database limit exceeded")
_CAPACITY_HINT = (
    "; the server is out of room for new series: set [data] max-values-per-tag = 0 "
    '(and max-series-per-database = 0) or index-version = "tsi1" in influxdb.conf, see docs/scaling.md'
)


def chunks(lines: Sequence[str], size: int = WRITE_CHUNK_LINES) -> Iterator[Sequence[str]]:
    """``lines`` in runs of at most ``size``."""
    for i in range(0, len(lines), size):
        yield lines[i : i + size]


def bodies(lines: Sequence[str], size: int = WRITE_CHUNK_LINES) -> Iterator[bytes]:
    """Request bodies (UTF-8 line protocol) of at most ``size`` lines each."""
    for chunk in chunks(lines, size):
        yield "\n".join(chunk).encode("utf-8")


def failure(status: int, message: str, detail: str = "") -> StoreUnavailable | StoreRejected:
    """The error for a request that failed with HTTP ``status`` (0: no answer): retry later, or the data is refused.

    ``detail`` is the server's error text, checked for a full InfluxDB 1.x index.
    """
    if not status or status >= 500 or status in RETRYABLE_4XX:
        return StoreUnavailable(message)
    if any(limit in detail for limit in CAPACITY_ERRORS):
        return StoreUnavailable(message + _CAPACITY_HINT)
    return StoreRejected(message)


def redacted(url: str) -> str:
    """A server or database address with any password masked, fit for logs and messages."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not scheme://... at all: the client will refuse it too; show nothing of it.
        return "(unparsable URL)"
    if parsed.host and "@" in parsed.host:
        # An unescaped "@" in the password: httpx splits at the last "@", SQLAlchemy at the
        # first, which would print the rest of the password as part of the host.
        parsed = parsed.set(host=parsed.host.rsplit("@", 1)[1])
    return parsed.render_as_string(hide_password=True)
