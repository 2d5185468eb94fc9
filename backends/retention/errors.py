"""Domain errors; the same classes (and JSON error shape) as the other backends."""

from __future__ import annotations

from service_kit.errors import BadRequest, DomainError, Forbidden, Invalid, NotFound, Refused, Unavailable

__all__ = ["BadRequest", "ConsentRequired", "DomainError", "Forbidden", "Invalid", "NotFound", "Refused", "Unavailable"]


class ConsentRequired(Forbidden):
    """A churn profile is personal data used to treat the shopper differently: only with their consent
    to personalisation (HTTP 403), whoever asks with their customer id."""

    code = "consent_required"
