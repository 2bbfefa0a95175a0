"""The daemon's log lines: readable on a terminal, or one JSON object a line for collectors.

Every line is written by senderwatch's own code with counts and ids only; URLs that may
carry a token (the heartbeat URL, webhooks) are never formatted into a message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Literal

__all__ = ["JsonFormatter", "LogFormat", "setup_logging"]

LogFormat = Literal["text", "json"]


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the exception)."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


def setup_logging(fmt: LogFormat = "text", level: int = logging.INFO) -> None:
    """Send senderwatch's log lines to stderr in `fmt`; libraries' chatter from WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
