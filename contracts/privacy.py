"""Who a data-subject request (GDPR art. 15/17, CCPA) is about, shared by every store's privacy module.

A request names a shopper by customer id, e-mail or phone; the stores widen it with what they hold
(the orders backend knows the customer's e-mails and order numbers, the desk and the recommender know
conversation ids), so each store can be searched for every identifier of the same person. Pure
dataclasses: the services-venv stores and the coordinator read the same type."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

ERASED = "[erased]"  # the value a kept row's personal text field gets


def normal_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively (stores keep what the shopper typed)."""
    return email.strip().lower()


def normal_phone(phone: str) -> str:
    """Digits only, with the leading '+' kept: "+1 (415) 555-0100" and "+14155550100" are one number."""
    digits = re.sub(r"\D", "", phone)
    return f"+{digits}" if phone.strip().startswith("+") else digits


@dataclass(frozen=True)
class Subject:
    """Every identifier known for one shopper. Empty sets mean "not known", never "anyone"."""

    customer_ids: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    order_numbers: frozenset[int] = frozenset()
    conversation_ids: frozenset[str] = frozenset()
    found_by: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def named(cls, *, customer_id: str | None = None, email: str | None = None, phone: str | None = None) -> Subject:
        """The request as given; at least one identifier, or nobody could be found (and everybody might)."""
        ids = frozenset({customer_id.strip()} if customer_id and customer_id.strip() else set())
        emails = frozenset({normal_email(email)} if email and email.strip() else set())
        phones = frozenset({normal_phone(phone)} if phone and normal_phone(phone).strip("+") else set())
        if not (ids or emails or phones):
            raise ValueError("name the shopper by customer id, e-mail or phone")
        given = {**{i: "request" for i in ids}, **{e: "request" for e in emails}, **{p: "request" for p in phones}}
        return cls(customer_ids=ids, emails=emails, phones=phones, found_by=given)

    def widened(self, source: str, **more: Any) -> Subject:
        """This subject plus identifiers a store found (`source` says where, for the export's report)."""
        found = dict(self.found_by)
        changes: dict[str, frozenset[Any]] = {}
        for name, values in more.items():
            current: frozenset[Any] = getattr(self, name)
            new = frozenset(values) - current
            for value in new:
                found.setdefault(str(value), source)
            changes[name] = current | new
        return replace(self, found_by=found, **changes)

    def is_empty(self) -> bool:
        return not (self.customer_ids or self.emails or self.phones or self.order_numbers or self.conversation_ids)

    def as_json(self) -> dict[str, Any]:
        return {
            "customer_ids": sorted(self.customer_ids),
            "emails": sorted(self.emails),
            "phones": sorted(self.phones),
            "order_numbers": sorted(self.order_numbers),
            "conversation_ids": sorted(self.conversation_ids),
            "found_by": dict(sorted(self.found_by.items())),
        }
