"""The orders backend's part of a data-subject request: its customers, orders and their trail.

Orders and invoices are accounting records the shop must keep (commercial and tax law: years, not
days), so erasure anonymises them: lines, totals, dates, invoice numbers and the country (tax) stay;
name, e-mail, address and free text go, and the customer row gets a random id. What only served
the conversation (failed proofs, lockouts, one-time codes, the code mails) is deleted."""

from __future__ import annotations

import asyncio
import mailbox
from collections.abc import Sequence
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backends.orders.models import (
    AuditEntry,
    ChangeCode,
    Customer,
    Order,
    ProofFailure,
    ProofLockout,
    Refund,
    TrackingEvent,
)
from contracts.privacy import ERASED, Subject
from service_kit.db import rows_changed
from service_kit.privacy import Erasure, pseudonym, row_json

ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: never delivered


async def identifiers(session: AsyncSession, subject: Subject) -> Subject:
    """The customer ids, e-mails and order numbers this backend links to the subject (columns only:
    the rows themselves are loaded once, by `export` or `erase`)."""
    customers = (await session.execute(select(Customer.id, Customer.email).where(_customer_match(subject)))).all()
    subject = subject.widened(
        "orders.customers", customer_ids={c.id for c in customers}, emails={c.email.lower() for c in customers}
    )
    orders = (
        await session.execute(select(Order.number, Order.email, Order.customer_id).where(_order_match(subject)))
    ).all()
    return subject.widened(
        "orders.orders",
        order_numbers={o.number for o in orders},
        emails={o.email.lower() for o in orders},
        customer_ids={o.customer_id for o in orders},
    )


async def export(session: AsyncSession, subject: Subject, mail_dir: Path | None) -> dict[str, Any]:
    mails = asyncio.create_task(asyncio.to_thread(_mails, mail_dir, subject))  # files, beside the queries
    customers = await _customers(session, subject)
    orders = await _orders(session, subject)
    numbers = [o.number for o in orders]
    return {
        "matched_by": "customers by id or e-mail; orders by customer id, e-mail or number; the rest by order number",
        "customers": [row_json(c) for c in customers],
        "orders": [_order_json(o) for o in orders],
        "audit_log": [row_json(a) for a in await _audit(session, subject, orders)],
        "ownership_proof_failures": [
            row_json(r) for r in await session.scalars(select(ProofFailure).where(_order_scope(ProofFailure, numbers)))
        ],
        "ownership_proof_lockouts": [
            row_json(r) for r in await session.scalars(select(ProofLockout).where(_order_scope(ProofLockout, numbers)))
        ],
        "one_time_codes": [
            row_json(r, without=("code_hash",))
            for r in await session.scalars(select(ChangeCode).where(ChangeCode.order_number.in_(numbers)))
        ],
        "code_mails": [_mail_json(key, m) for key, m in await mails],
    }


async def erase(session: AsyncSession, subject: Subject, mail_dir: Path | None, *, dry_run: bool) -> Erasure:
    """Runs in the caller's transaction (a dry run rolls it back); mail files are removed only for real."""
    done = Erasure()
    mails_found = asyncio.create_task(asyncio.to_thread(_mails, mail_dir, subject))  # files, beside the queries
    customers = await _customers(session, subject)
    orders = await _orders(session, subject)
    numbers = [o.number for o in orders]
    audit = await _audit(session, subject, orders)
    for entry in audit:
        entry.old_value = None if entry.old_value is None else ERASED
        entry.new_value = None if entry.new_value is None else ERASED
    done.anonymise("audit_log", len(audit))
    for order in orders:
        order.email = f"{ERASED}@{ERASED_EMAIL_DOMAIN}"
        order.ship_name = order.ship_line1 = order.ship_city = order.ship_postcode = ERASED
        order.ship_line2 = None
    done.anonymise("orders", len(orders))
    refunds = Refund.order_number.in_(numbers)
    done.anonymise("refunds", await rows_changed(session, update(Refund).where(refunds).values(reason=ERASED)))
    shipments = [s.id for o in orders for s in o.shipments]
    events = update(TrackingEvent).where(TrackingEvent.shipment_id.in_(shipments))
    done.anonymise("tracking_events", await rows_changed(session, events.values(location=ERASED, description=ERASED)))
    await session.flush()
    for customer in customers:
        await _rekey(session, customer, audit)
    done.anonymise("customers", len(customers))
    for table, statement in (
        ("ownership_proof_failures", delete(ProofFailure).where(_order_scope(ProofFailure, numbers))),
        ("ownership_proof_lockouts", delete(ProofLockout).where(_order_scope(ProofLockout, numbers))),
        ("one_time_codes", delete(ChangeCode).where(ChangeCode.order_number.in_(numbers))),
    ):
        done.delete(table, await rows_changed(session, statement))
    mails = await mails_found
    done.delete("code_mails", len(mails))
    if mails and not dry_run and mail_dir is not None:  # no outbox yet: nothing was mailed
        box = mailbox.Maildir(mail_dir, create=False)
        for key, _message in mails:
            box.discard(key)
    return done


async def _rekey(session: AsyncSession, customer: Customer, audit: Sequence[AuditEntry]) -> None:
    """A new customer row under a random id takes the orders over; the old row goes (ids are keys)."""
    new_id = pseudonym()
    session.add(
        Customer(
            id=new_id,
            name=ERASED,
            email=f"{new_id}@{ERASED_EMAIL_DOMAIN}",
            postcode=ERASED,
            tier=customer.tier,
            created_at=customer.created_at,
        )
    )
    await session.flush()
    await session.execute(update(Order).where(Order.customer_id == customer.id).values(customer_id=new_id))
    for entry in audit:
        if entry.entity == "customer" and entry.entity_id == customer.id:
            entry.entity_id = new_id
    await session.flush()
    await session.execute(delete(Customer).where(Customer.id == customer.id))


async def _customers(session: AsyncSession, subject: Subject) -> list[Customer]:
    return list(await session.scalars(select(Customer).where(_customer_match(subject)).order_by(Customer.id)))


async def _orders(session: AsyncSession, subject: Subject) -> list[Order]:
    return list(await session.scalars(select(Order).where(_order_match(subject)).order_by(Order.number)))


def _customer_match(subject: Subject) -> ColumnElement[bool]:
    """Empty identifier sets match nothing (an empty IN is false), never everybody."""
    return or_(Customer.id.in_(subject.customer_ids), func.lower(Customer.email).in_(subject.emails))


def _order_match(subject: Subject) -> ColumnElement[bool]:
    return or_(
        Order.customer_id.in_(subject.customer_ids),
        func.lower(Order.email).in_(subject.emails),
        Order.number.in_(subject.order_numbers),
    )


async def _audit(session: AsyncSession, subject: Subject, orders: Sequence[Order]) -> list[AuditEntry]:
    refunds = [str(r.id) for o in orders for r in o.refunds]
    keys = (
        ("customer", sorted(subject.customer_ids | {o.customer_id for o in orders})),
        ("order", [str(o.number) for o in orders]),
        ("refund", refunds),
    )
    conditions = [(AuditEntry.entity == entity) & AuditEntry.entity_id.in_(ids) for entity, ids in keys if ids]
    if not conditions:
        return []
    return list(await session.scalars(select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.id)))


def _order_scope(table: type[ProofFailure] | type[ProofLockout], numbers: Sequence[int]) -> ColumnElement[bool]:
    return (table.scope == "order") & table.key.in_([str(n) for n in numbers])


def _order_json(order: Order) -> dict[str, Any]:
    return {
        **row_json(order),
        "lines": [row_json(line) for line in order.lines],
        "shipments": [{**row_json(s), "events": [row_json(e) for e in s.events]} for s in order.shipments],
        "refunds": [row_json(r) for r in order.refunds],
        "invoice": None
        if order.invoice is None
        else {**row_json(order.invoice), "lines": [row_json(line) for line in order.invoice.lines]},
    }


def _mails(mail_dir: Path | None, subject: Subject) -> list[tuple[str, Message]]:
    """Code mails in the demo outbox (a Maildir) addressed to the subject; a shop with SMTP has none here.
    A file that does not hold one of the addresses at all is not parsed (the outbox grows with every
    code); callers run this in a thread, beside the other stores' queries."""
    if mail_dir is None or not subject.emails:
        return []
    needles = [email.encode() for email in subject.emails]
    found = []
    for folder in ("new", "cur"):
        if not (mail_dir / folder).is_dir():
            continue
        for path in (mail_dir / folder).iterdir():
            raw = path.read_bytes()
            if not any(needle in raw.lower() for needle in needles):
                continue
            message = BytesHeaderParser().parsebytes(raw)
            recipients = {address.lower() for _name, address in getaddresses(message.get_all("To", []))}
            if recipients & subject.emails:
                found.append((path.name.split(":")[0], message))  # a Maildir key is the name before ":2,"
    return found


def _mail_json(key: str, message: Message) -> dict[str, Any]:
    """Headers only: the body is a one-time code (a secret, expired or not)."""
    return {"id": key, "to": message["To"], "subject": message["Subject"], "date": message["Date"]}
