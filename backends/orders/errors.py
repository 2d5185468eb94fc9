"""Domain errors; the API maps them to HTTP 404 / 409 / 422 with a human-readable message."""

from __future__ import annotations

from backends.common.errors import BadRequest, DomainError, Invalid, NotFound, Refused, Unavailable

__all__ = ["BadRequest", "DomainError", "Invalid", "NotFound", "Refused", "Unavailable"]
