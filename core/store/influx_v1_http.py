"""A connection to InfluxDB's v1 HTTP API: credentials, the database, InfluxQL queries and line-protocol writes.

What a failed request means (retry later, or the data is refused) is ``core.store.influx_http``'s.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence

import httpx

from core.settings import StoreSettings
from core.store import line_protocol as lp
from core.store.base import MEASUREMENT, StoreRejected, StoreUnavailable
from core.store.influx_http import bodies, failure, redacted
from core.store.influxql import influxql_ident, json_documents

log = logging.getLogger(__name__)

#: Rows per chunk of a query response; a server with max-row-limit set would
#: truncate an unchunked answer, a chunked one is complete at any size.
QUERY_CHUNK_ROWS = 10000


class InfluxV1Connection:
    """Requests to one database of a server speaking InfluxDB's v1 HTTP API (created on first write when allowed)."""

    def __init__(self, settings: StoreSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.database = settings.database
        self.where = redacted(settings.url)
        headers: dict[str, str] = {}
        auth: httpx.BasicAuth | None = None
        if settings.token is not None:
            headers["Authorization"] = f"Token {settings.token.get_secret_value()}"
        elif settings.username:
            # Basic auth rather than u=/p= query parameters: URLs end up in logs
            # and exception messages, headers do not.
            password = settings.password.get_secret_value() if settings.password else ""
            auth = httpx.BasicAuth(settings.username, password)
        self._http = httpx.Client(
            base_url=settings.url.rstrip("/"),
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(settings.timeout_s),
            transport=transport,
        )
        self._db_lock = threading.Lock()
        self._db_ready = False

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        try:
            return self._http.request(method, path, params=params, data=data, content=content)
        except httpx.TimeoutException as exc:
            raise StoreUnavailable(f"InfluxDB at {self.where} timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise StoreUnavailable(f"InfluxDB at {self.where} unreachable: {exc}") from exc

    def _check(self, response: httpx.Response, action: str) -> None:
        if response.is_success:
            return
        detail = _error_text(response)
        message = f"InfluxDB {action} at {self.where} failed with HTTP {response.status_code}: {detail}"
        raise failure(response.status_code, message, detail)

    def _ensure_database(self) -> None:
        with self._db_lock:
            if self._db_ready:
                return
            q = f"CREATE DATABASE {influxql_ident(self.database)}"
            response = self._request("POST", "/query", data={"q": q})
            if response.status_code >= 500:
                self._check(response, "CREATE DATABASE")
            if not response.is_success or '"error"' in response.text:
                # 2.x and 3.x map databases to buckets and refuse CREATE DATABASE;
                # 1.x refuses it to non-admin users. The database may well exist:
                # the write will say if it does not.
                log.info("CREATE DATABASE %s refused (HTTP %s); assuming it exists", self.database, response.status_code)
            self._db_ready = True

    def _query(self, q: str) -> Iterator[dict]:
        """Every series of every chunk of the answer to one InfluxQL statement."""
        for _statement, series in self._series(q):
            yield series

    def query_many(self, statements: Sequence[str]) -> list[list[dict]]:
        """The series of each statement's answer, in order; statements go in one request."""
        answers: list[list[dict]] = [[] for _ in statements]
        if statements:
            for statement, series in self._series(";\n".join(statements)):
                answers[statement].append(series)
        return answers

    def _series(self, q: str) -> Iterator[tuple[int, dict]]:
        """(statement index, series) of the answer to ``q``, document by document of its chunks."""
        params = {"db": self.database, "epoch": "s", "chunked": "true", "chunk_size": str(QUERY_CHUNK_ROWS)}
        response = self._request("POST", "/query", params=params, data={"q": q})
        self._check(response, "query")
        for document in json_documents(response.text):
            if "error" in document:
                raise StoreRejected(f"InfluxDB query at {self.where} failed: {document['error']}")
            for result in document.get("results", []):
                error = result.get("error")
                if error is not None:
                    if str(error).startswith("database not found"):
                        return  # nothing written yet: empty answers, not a failure
                    raise StoreRejected(f"InfluxDB query at {self.where} failed: {error}")
                statement = int(result.get("statement_id", 0))
                for series in result.get("series", []):
                    yield statement, series

    def write_lines(self, lines: Sequence[str]) -> None:
        """Line protocol (precision: seconds) in bodies of at most ``WRITE_CHUNK_LINES``."""
        if not lines:
            return
        self._ensure_database()
        for body in bodies(lines):
            self._write_body(body)

    def all_sites(self) -> list[str]:
        """Every site that has raw points."""
        q = f"SHOW TAG VALUES FROM {influxql_ident(MEASUREMENT)} WITH KEY = {influxql_ident(lp.TAG_SITE)}"
        return sorted({str(row[1]) for series in self._query(q) for row in series.get("values", [])})

    def _write_body(self, body: bytes) -> None:
        params = {"db": self.database, "precision": "s"}
        response = self._request("POST", "/write", params=params, content=body)
        if response.status_code == 404 and "database not found" in response.text:
            # Dropped since we created it (or never created): create and try once more.
            with self._db_lock:
                self._db_ready = False
            self._ensure_database()
            response = self._request("POST", "/write", params=params, content=body)
        self._check(response, "write")

    def ping(self) -> None:
        self._check(self._request("GET", "/ping"), "ping")

    def close(self) -> None:
        self._http.close()


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict) and "error" in body:
            return str(body["error"])[:500]
    except ValueError:
        pass
    return response.text[:500] or response.reason_phrase
