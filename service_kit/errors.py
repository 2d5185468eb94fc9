"""Domain errors shared by the backends; the API maps them to HTTP 4xx/503 with a human-readable message.

The message is for developers and logs. A client that words the problem for a shopper does so from `code`
and the values in `details` (an order's status, a date), in the shopper's language (bot/texts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, code: str | None = None, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})
        if code:
            self.code = code


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller is known but its role does not allow this (HTTP 403)."""

    status = 403
    code = "forbidden"


class Refused(DomainError):
    """The request is understood but the current state does not allow it (HTTP 409)."""

    status = 409
    code = "refused"


class Invalid(DomainError):
    """The request data is wrong (HTTP 422); `fields` says which field and why."""

    status = 422
    code = "invalid_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class BadRequest(DomainError):
    """The body is not JSON at all (HTTP 400)."""

    status = 400
    code = "malformed_json"


class Unavailable(DomainError):
    """The database cannot be reached (HTTP 503); clients may retry reads."""

    status = 503
    code = "database_unavailable"
