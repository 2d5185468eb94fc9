"""One logging set-up for every process of both venvs: redacted records with the request id, as text
(the default, for people) or as one JSON object per line (`LOG_FORMAT=json`, for log collectors).

Redaction happens where a record is made (a log record factory), not in one handler's filter: Rasa,
Sanic and aiohttp each install handlers of their own, at times we do not control, and a filter on
our handler would miss theirs. Every record gets `request_id` (contracts/request_ids.py) and its
message (arguments filled in) and traceback text masked by contracts/redaction.py before any handler
sees it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from contracts.redaction import redact
from contracts.request_ids import current_request_id

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
_TRACEBACKS = logging.Formatter()


class RedactingRecordFactory:
    """Wraps the record factory in use: the record leaves with `request_id` and masked text."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.inner(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        try:
            message = record.getMessage()
        except Exception:  # a wrong format string: keep what logging would print, masked
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, request_id, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def log_format(env: Mapping[str, str]) -> str:
    """LOG_FORMAT: "text" (default) or "json"; anything else stops the process with one line."""
    value = (env.get("LOG_FORMAT") or "text").strip().lower()
    if value not in FORMATS:
        raise SystemExit(f"LOG_FORMAT must be one of {', '.join(FORMATS)} (got {value!r})")
    return value


def install_redaction() -> None:
    """Installs the record factory once per process (idempotent)."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, RedactingRecordFactory):
        logging.setLogRecordFactory(RedactingRecordFactory(current))


def formatter_for(env: Mapping[str, str]) -> logging.Formatter:
    return JsonFormatter() if log_format(env) == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(env: Mapping[str, str] = os.environ, level: int = logging.INFO) -> None:
    """For our own processes: one stderr handler on the root logger in the configured format."""
    install_redaction()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(env))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def adopt_framework_handlers(env: Mapping[str, str] = os.environ, level: int = logging.INFO) -> None:
    """For processes whose framework set up logging (Rasa, Sanic): redaction always, and with
    LOG_FORMAT=json our formatter on every handler it installed; in text mode their formats stay.
    A process the framework left without a root handler (a Sanic worker rasa-sdk spawns) gets ours."""
    install_redaction()
    if not logging.getLogger().handlers:
        configure_logging(env, level)
    if log_format(env) != "json":
        return
    formatter = JsonFormatter()
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            handler.setFormatter(formatter)
