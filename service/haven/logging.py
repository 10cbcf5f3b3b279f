"""Structured logs: one JSON object a line on stderr, carrying ids and never post text.

Call sites log an event name and ids through `extra`:
`log.info("decision.stored", extra={"decision_id": d.id, "verdict": d.verdict})`.
Only the keys in `ALLOWED_FIELDS` are written, so a careless `extra` cannot
leak a post's text or a secret into the logs.
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import msgspec

ALLOWED_FIELDS = frozenset(
    {
        "decision_id",
        "decision_ids",
        "delivery_id",
        "subscription_id",
        "review_id",
        "community",
        "communities",
        "platform",
        "external_id",
        "verdict",
        "categories",
        "rules",
        "policy_version",
        "queue",
        "count",
        "attempt",
        "status_code",
        "outcome",
        "error",
        "mode",
        "host",
        "port",
        "policy_dir",
        "compiled_scan",
        "deleted",
        "duration_ms",
        "event_type",
        "task",
        # plugins: ids, names and states only
        "plugin",
        "reason",
        "actions",
        "action_id",
        "status",
        "final",
        "event_id",
        "choice",
        "recorded",
        "method",
        "retry_after",
        "path",
        # worker processes (`haven worker --processes N`)
        "worker_pid",
        "exit_code",
        "retry_in_s",
        # counters: a rule's window against the history kept, in seconds
        "window_seconds",
        "kept_seconds",
        # the state's Redis: a setting's value against the one Haven recommends
        "redis_setting",
        "configured",
        "recommended",
    }
)


# Loggers whose message arguments are ids, task names, addresses and counts. Other libraries interpolate
# whatever they hold ("Could not restore message: %r" puts a whole task, post text and all,
# into kombu's line), so theirs are written as the bare template, arguments left out.
_OWN_LOGGERS = ("haven", "uvicorn", "alembic", "celery.beat", "celery.apps", "celery.worker.consumer")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            # Which process of a worker group, or API, wrote it.
            "pid": record.process,
            "event": record.getMessage() if record.name.startswith(_OWN_LOGGERS) else str(record.msg),
        }
        for key in ALLOWED_FIELDS:
            if key in record.__dict__:
                entry[key] = record.__dict__[key]
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type only: messages and tracebacks can quote input.
            entry["exception"] = record.exc_info[0].__name__
            entry["frames"] = [
                f"{frame.filename}:{frame.lineno}:{frame.name}"
                for frame in traceback.extract_tb(record.exc_info[2])[-5:]
            ]
        return msgspec.json.encode(entry).decode()


def configure_logging(level: str = "INFO") -> None:
    """Send every logger, the frameworks' included, through the JSON formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "litestar"):
        framework = logging.getLogger(name)
        framework.handlers.clear()
        framework.propagate = True
    # Access lines carry paths and query strings (filters, cursors); the handlers log ids.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
