"""The desk's part of a data-subject request: tickets about the shopper, their messages and audit events.

A ticket is found by the customer it names (id, e-mail, the e-mail the shopper typed), by the order
it is about, or by its conversation. Tickets are support records, not accounting ones: erasure
deletes them with their messages and audit events. Tickets copied to an external system (RT,
Zendesk, a webhook) must be erased there as well: the export lists their external ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.privacy import Subject
from handoff.models import AuditEvent, Message, Ticket
from service_kit.db import rows_changed
from service_kit.privacy import Erasure, row_json


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


def _tickets(subject: Subject) -> ColumnElement[bool]:
    customer = Ticket.customer
    return or_(
        customer["id"].as_string().in_(subject.customer_ids),
        func.lower(customer["email"].as_string()).in_(subject.emails),
        func.lower(customer["unverified_email"].as_string()).in_(subject.emails),
        Ticket.order["number"].as_string().in_([str(n) for n in subject.order_numbers]),
        Ticket.conversation_id.in_(subject.conversation_ids),
    )
