"""The contract between the handoff desk and external ticket systems (docs/ticket-connectors.md).

The desk only sees these types; each connector module translates them to one system's API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ExternalTicket:
    """What we send when a conversation is handed to an external system.

    `reference` is an opaque ticket reference the desk maps back to the conversation: conversation ids
    are bearer credentials on the shopper channels and never leave the shop. `requester_email` is only
    ever a verified address (the customer account's, or that of an order the shopper proved to own),
    because the external system e-mails its notifications there; an address the shopper merely typed
    travels as `unverified_email` and is only shown to agents, marked as such."""

    reference: str
    subject: str  # short summary
    body: str  # summary + transcript as plain text
    requester_email: str | None
    requester_name: str | None
    priority: int  # 1 (low) .. 4 (urgent)
    tags: tuple[str, ...] = ()
    unverified_email: str | None = None


@dataclass(frozen=True)
class ExternalReply:
    """An agent's public reply made in the external system."""

    reply_id: str  # stable id, for de-duplication; pass the last one seen as `after`
    author: str
    text: str  # plain text (HTML stripped)
    created_at: datetime


@runtime_checkable
class TicketConnector(Protocol):
    name: str

    async def create(self, ticket: ExternalTicket) -> str:
        """Open a ticket; returns the external ticket id."""
        ...

    async def correspond(self, external_id: str, text: str) -> None:
        """Add a public message (e.g. a new shopper message)."""
        ...

    async def comment(self, external_id: str, text: str) -> None:
        """Add an internal note that the shopper never sees."""
        ...

    async def replies_since(self, external_id: str, after: str | None) -> list[ExternalReply]:
        """Agent replies newer than reply id `after`, oldest first, never our own posts."""
        ...

    async def resolve(self, external_id: str) -> None: ...

    async def aclose(self) -> None: ...


class ConnectorError(Exception):
    """Any failure talking to an external ticket system; the message says which system and why."""


class ConnectorUnavailable(ConnectorError):
    """Network error, timeout, 5xx or rate limit: the same call may succeed later."""


class ConnectorRejected(ConnectorError):
    """The system refused the request (bad credentials, no permission, unknown ticket, invalid data).

    Retrying the same call will not help; `status` is the HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


PRIORITIES = range(1, 5)


def check_priority(priority: int) -> int:
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be 1 (low) .. 4 (urgent), got {priority!r}")
    return priority
