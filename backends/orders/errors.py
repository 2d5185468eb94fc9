"""Domain errors; the API maps them to HTTP 403 / 404 / 409 / 422 / 429 with a human-readable message."""

from __future__ import annotations

from service_kit.errors import BadRequest, DomainError, Forbidden, Invalid, NotFound, Refused, Unavailable


class CodeRejected(Forbidden):
    """A one-time change code that is wrong (`code_invalid`) or can no longer be used (`code_expired`)."""

    code = "code_invalid"


class TooMany(DomainError):
    """Too many codes asked for one order in the window (HTTP 429); nothing was sent."""

    status = 429
    code = "too_many_codes"


class MailUnavailable(DomainError):
    """The code could not be handed to the shop's mail server (HTTP 503); no code is valid."""

    status = 503
    code = "mail_unavailable"


__all__ = [
    "BadRequest",
    "CodeRejected",
    "DomainError",
    "Invalid",
    "MailUnavailable",
    "NotFound",
    "Refused",
    "TooMany",
    "Unavailable",
]
