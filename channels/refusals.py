"""Requests a channel answers itself: a JSON error with a sentence saying what is wrong, and a log line.

Shared by every input channel and the hand-off relay. Kept apart from channels/guard.py (the
"answer every message" policy), which needs the relay: with both in one module the guard and the
relay imported each other."""

from __future__ import annotations

import json
import logging
from typing import Any

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


class RefusedRequest(Exception):
    """A request the channel answers itself, with an HTTP status and a clear message."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def json_object_body(request: Request, max_body_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object, or RefusedRequest saying what is wrong with it."""
    body = request.body or b""
    if len(body) > max_body_bytes:
        raise RefusedRequest(413, "payload_too_large", f"request body exceeds {max_body_bytes} bytes")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise RefusedRequest(400, "bad_request", "body must be valid JSON") from error
    if not isinstance(payload, dict):
        raise RefusedRequest(400, "bad_request", "body must be a JSON object")
    return payload


def refusal_response(channel: str, request: Request, refusal: RefusedRequest) -> HTTPResponse:
    logger.warning(
        "%s channel refused request from %s: %s %s", channel, request.remote_addr or request.ip, refusal.status, refusal
    )
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if refusal.status == 401 else {}
    return response.json({"error": refusal.error, "message": refusal.message}, status=refusal.status, headers=headers)
