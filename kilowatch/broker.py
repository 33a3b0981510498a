"""An embedded MQTT 3.1.1 broker (amqtt) in a background thread, for the demo."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

from amqtt.broker import Broker

log = logging.getLogger(__name__)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def pick_port(preferred: int, host: str = "127.0.0.1") -> int:
    """``preferred`` when it is free, otherwise any free port."""
    if preferred and port_is_free(preferred, host):
        return preferred
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class DropAckTimeouts(logging.Filter):
    """Hides amqtt's PUBACK time-outs, which are expected noise in the demo.

    amqtt stops waiting for a subscriber's PUBACK after a hard-coded 5 s; the ingest
    acknowledges only after a durable write, which can take longer on a busy machine.
    The message has been delivered by then, so amqtt's complaint carries no news.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("amqtt"):
            return True
        text = record.getMessage()
        return "PUBACK" not in text and "Task failed and will be skipped" not in text


class EmbeddedBroker:
    """Runs an amqtt broker on its own event loop thread; ``start`` returns when it listens."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="embedded-broker", daemon=True)
        self._broker: Broker | None = None

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}", "max_connections": 100}},
            # Anonymous access is acceptable only because the demo binds to loopback.
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }

        async def _start() -> None:
            self._broker = Broker(config, loop=self._loop)
            await self._broker.start()

        for handler in logging.getLogger().handlers:
            handler.addFilter(DropAckTimeouts())
        asyncio.run_coroutine_threadsafe(_start(), self._loop).result(timeout)
        log.info("embedded MQTT broker listening on %s:%d", self.host, self.port)

    def stop(self, timeout: float = 10.0) -> None:
        if self._broker is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(timeout)
            except Exception as exc:  # shutting down; report and carry on
                log.warning("embedded broker did not shut down cleanly: %s", exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
