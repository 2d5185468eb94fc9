"""Domain errors; the same classes (and JSON error shape) as the other backends."""

from __future__ import annotations

from service_kit.errors import BadRequest, DomainError, Invalid, NotFound, Refused, Unavailable

__all__ = ["BadRequest", "DomainError", "Invalid", "NotFound", "Refused", "Unavailable"]
