"""The desk's part of a data-subject request: tickets about the shopper, their messages and audit events.

A ticket is found by the customer it names (id, e-mail, the e-mail the shopper typed), by the order
it is about, or by its conversation. Tickets are support records, not accounting ones: erasure
deletes them with their messages and audit events. Tickets copied to an external system (RT,
Zendesk, a webhook) must be erased there as well: the export lists their external ids. `expire`
anonymises the closed tickets older than the shop keeps conversations (privacy/expire.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.privacy import Subject
from handoff.models import AuditEvent, Message, Ticket
from service_kit.db import rows_changed
from service_kit.privacy import Erasure, row_json

EXPIRED = "expired-"  # an expired ticket's conversation id: this prefix and the ticket id
EXPIRED_TEXT = "[expired]"
EXPIRE_BATCH = 500  # ticket ids per statement (bound-parameter limits of SQLite and asyncpg)


async def conversations(session: AsyncSession, subject: Subject) -> Subject:
    """The conversations of the subject's tickets (the tracker store is searched by them too)."""
    found = set(await session.scalars(select(Ticket.conversation_id).where(_tickets(subject))))
    return subject.widened("handoff.tickets", conversation_ids=found)


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    tickets = list(await session.scalars(select(Ticket).where(_tickets(subject)).order_by(Ticket.id)))
    ids = [t.id for t in tickets]
    messages = select(Message).where(Message.ticket_id.in_(ids)).order_by(Message.id)
    events = select(AuditEvent).where(AuditEvent.ticket_id.in_(ids)).order_by(AuditEvent.id)
    return {
        "matched_by": "ticket customer id or e-mail, order number, or conversation id",
        "tickets": [row_json(t) for t in tickets],
        "messages": [row_json(m) for m in await session.scalars(messages)],
        "audit_events": [row_json(e) for e in await session.scalars(events)],
    }


async def erase(session: AsyncSession, subject: Subject) -> Erasure:
    done = Erasure()
    ids = list(await session.scalars(select(Ticket.id).where(_tickets(subject))))
    done.delete("messages", await rows_changed(session, delete(Message).where(Message.ticket_id.in_(ids))))
    done.delete("audit_events", await rows_changed(session, delete(AuditEvent).where(AuditEvent.ticket_id.in_(ids))))
    done.delete("tickets", await rows_changed(session, delete(Ticket).where(Ticket.id.in_(ids))))
    return done


async def expire(session: AsyncSession, before: datetime) -> Erasure:
    """Closed tickets whose `closed_at` is before `before` (naive UTC, as the desk writes it) are
    anonymised, not deleted: the analytics page counts hand-offs and times first replies and
    resolutions from the tickets' channel, reason, frustration and times and the messages' roles and
    times, none of which names the shopper. What goes: the shopper's fields, the order, the summary,
    the extracted entities, the conversation id (the app channel's is derived from the customer id),
    every message's text and author. Open tickets are live work and stay as they are."""
    done = Erasure()
    ids = list(
        await session.scalars(
            select(Ticket.id).where(
                Ticket.status == "closed", Ticket.closed_at < before, ~Ticket.conversation_id.startswith(EXPIRED)
            )
        )
    )
    for start in range(0, len(ids), EXPIRE_BATCH):
        batch = ids[start : start + EXPIRE_BATCH]
        messages = update(Message).where(Message.ticket_id.in_(batch)).values(text=EXPIRED_TEXT, author=None)
        done.anonymise("messages", await rows_changed(session, messages))
        tickets = (
            update(Ticket)
            .where(Ticket.id.in_(batch))
            .values(
                conversation_id=literal(EXPIRED, String) + cast(Ticket.id, String),
                open_key=None,
                customer={},
                order=None,
                entities=[],
                summary=EXPIRED_TEXT,
            )
        )
        done.anonymise("tickets", await rows_changed(session, tickets))
    return done


def _tickets(subject: Subject) -> ColumnElement[bool]:
    customer = Ticket.customer
    return or_(
        customer["id"].as_string().in_(subject.customer_ids),
        func.lower(customer["email"].as_string()).in_(subject.emails),
        func.lower(customer["unverified_email"].as_string()).in_(subject.emails),
        Ticket.order["number"].as_string().in_([str(n) for n in subject.order_numbers]),
        Ticket.conversation_id.in_(subject.conversation_ids),
    )
