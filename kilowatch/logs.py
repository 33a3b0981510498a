"""Logging set-up for the command line: rich output, secrets never printed."""

from __future__ import annotations

import logging
import re

from rich.logging import RichHandler

# Anything shaped like one of our API keys, or a password/token assignment, is masked.
_SECRET = re.compile(r"(kw_[A-Za-z0-9_\-]{8})[A-Za-z0-9_\-]+|((?:password|token|secret)[\"']?\s*[=:]\s*[\"']?)[^\s\"',}]+", re.I)


class RedactSecrets(logging.Filter):
    """Masks API keys and password/token values in every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _SECRET.sub(lambda m: (m.group(1) + "…") if m.group(1) else (m.group(2) + "***"), message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = RichHandler(show_path=False, rich_tracebacks=True, markup=False)
    handler.addFilter(RedactSecrets())
    logging.basicConfig(level=level.upper(), format="%(message)s", datefmt="[%X]", handlers=[handler], force=True)
    # Third-party chatter that drowns our own messages at INFO.
    for noisy in ("amqtt", "transitions", "uvicorn.access", "httpx", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
