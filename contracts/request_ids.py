"""The correlation id of one shopper message, followed channel → Rasa → action server → backends.

The channel takes the caller's `X-Request-ID` (or makes one) and puts it into the message metadata
(`request_id`), which Rasa stores with the message and sends to the action server inside the tracker;
the action server's clients send it on as `X-Request-ID`, and every service reads that header. In each
process the id of the request being handled sits in a context variable, so every log line written
while handling it carries it (contracts/log_setup.py) without passing it through every call.

Only a short token of letters, digits, `-`, `_`, `.` and `:` is taken from outside: the id lands in
log lines, and a caller must not be able to write whole lines into them.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

HEADER = "X-Request-ID"
METADATA_KEY = "request_id"
MAX_CHARS = 64
_ACCEPTABLE = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_CHARS}}}")

_current: ContextVar[str] = ContextVar("request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(offered: object) -> str:
    """The caller's id when it is a harmless token, else a new one."""
    if isinstance(offered, str) and _ACCEPTABLE.fullmatch(offered):
        return offered
    return new_request_id()


def current_request_id() -> str:
    """The id of the request this task is handling ("" outside one)."""
    return _current.get()


def use_request_id(request_id: str) -> Token[str]:
    """Makes `request_id` the current one for this task (and the tasks it starts)."""
    return _current.set(request_id)


def end_request_id(token: Token[str]) -> None:
    _current.reset(token)
