"""Log output: ``key=value`` events, as text for people or as one JSON object per line."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_PAIR = re.compile(r"""(\w+)=("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\S+)""")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and its ``key=value`` pairs."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        event: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        for key, value in _PAIR.findall(message):
            event.setdefault(key, value[1:-1] if value[:1] in "\"'" else value)
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def formatter(kind: str) -> logging.Formatter:
    """``human`` (time, level, logger, message) or ``json``."""
    if kind == "json":
        return JsonFormatter()
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
