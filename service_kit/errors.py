"""Domain errors shared by the backends; the API maps them to HTTP 4xx/503 with a human-readable message."""

from __future__ import annotations


class DomainError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(DomainError):
    status = 404
    code = "not_found"


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
