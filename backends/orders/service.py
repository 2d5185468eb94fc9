"""Business operations on orders. Each runs in one transaction, records an audit row per changed
field and logs the change, and returns JSON-ready dicts (serialised inside the session, so no lazy
load can happen after it closes)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from backends.orders import rules, serialize
from backends.orders.access import (
    AccessSettings,
    ChangeCodes,
    Counters,
    ProofGuard,
    proof_keys,
    retry_after,
)
from backends.orders.errors import Invalid, NotFound, Refused
from backends.orders.mail import Mailer
from backends.orders.models import (
    AuditEntry,
    Customer,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    ProofLockout,
    Refund,
    Shipment,
    TrackingEvent,
)
from backends.orders.states import (
    ADDRESS_CHANGEABLE,
    CANCELLABLE,
    FULFILMENT_TARGETS,
    check_address_changeable,
    check_cancellable,
    check_transition,
    why_not,
)
from contracts.orders import CHANGE_CODE_PURPOSES, OrderStatus, OwnershipCheck
from contracts.orders_wire import order_number_to_json, timestamp_to_json
from contracts.texts import texts
from service_kit.db import rows_changed

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
WAREHOUSE = "Columbus, OH, US"
CENT = Decimal("0.01")
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns (PostgreSQL enforces it, SQLite fails beyond 64 bits)
REFUND_TRANSITIONS = {"requested": {"approved", "rejected"}, "approved": {"refunded"}}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class NewLine:
    sku: str
    product_name: str
    quantity: int
    unit_price: Decimal
    colour: str | None = None
    size: str | None = None


def _normalise_proof(value: str) -> str:
    return re.sub(r"\s+", "", value).casefold()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(_normalise_proof(given).encode(), _normalise_proof(expected).encode())


def mask_email(email: str) -> str:
    """'j***@example.com': enough for the shopper to recognise, too little to learn the address."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


class OrdersService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = utcnow,
        *,
        access: AccessSettings | None = None,
        mailer: Mailer | None = None,
        code_secret: bytes = b"",
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.counters = Counters()
        settings = access or AccessSettings()
        self._guard = ProofGuard(settings, self.counters)
        # The codes' HMAC key; derived from the API token by the app, so nothing more to configure.
        self._codes = ChangeCodes(settings, hashlib.sha256(b"change-codes:" + code_secret).digest(), self.counters)
        self._mailer = mailer

    def now(self) -> datetime:
        """The service's notion of now (a simulated clock while seeding)."""
        return self._clock()

    async def ping(self) -> str:
        """Round-trips to the database; returns its dialect name for /health."""
        async with self._sessions() as session:
            await session.execute(select(1))
            return session.get_bind().dialect.name

    # -- reading --------------------------------------------------------------------------------

    async def get_order(self, number: int, customer_id: str | None = None) -> dict[str, Any]:
        async with self._sessions() as session:
            order = await self._order(session, number)
            if customer_id is not None and order.customer_id != customer_id:
                raise NotFound(f"Order {number} was not found.", code="order_not_found")
            return serialize.order(order, self._clock())

    async def customer(self, customer_id: str) -> dict[str, Any]:
        async with self._sessions() as session:
            return serialize.customer(await self._customer(session, customer_id))

    async def list_customer_orders(self, customer_id: str, limit: int) -> dict[str, Any]:
        async with self._sessions() as session:
            await self._customer(session, customer_id)
            query = (
                select(Order)
                .where(Order.customer_id == customer_id)
                .order_by(Order.placed_at.desc(), Order.number.desc())
                .limit(limit)
            )
            orders = (await session.scalars(query)).all()
            now = self._clock()
            return {"customer_id": customer_id, "orders": [serialize.order(o, now) for o in orders]}

    async def verify_owner(
        self, number: int, email: str | None, postcode: str | None, clients: Sequence[str] = ()
    ) -> OwnershipCheck:
        """Every given proof must match. An unknown order number gives the same answer as a wrong
        proof (and is counted the same), so order numbers cannot be enumerated; a locked-out order
        number or client is refused even with the right proof until its cool-down ends."""
        if not (email or postcode):
            raise Invalid("Give the order's email address or postcode.", fields={"email": "or postcode required"})
        keys = proof_keys(number, clients)
        now = self._clock()
        async with self._sessions.begin() as session:
            until = await self._guard.locked_until(session, keys, now)
            if until is not None:
                self.counters.proofs_refused_locked += 1
                logger.warning("ownership check for order %s refused: locked out until %sZ", number, until.isoformat())
                return OwnershipCheck(verified=False, locked=True, retry_after_s=retry_after(until, now))
            order = await session.get(Order, number)
            verified = order is not None and all(
                _same(given, expected)
                for given, expected in ((email, order.email), (postcode, order.ship_postcode))
                if given
            )
            if verified:
                self.counters.proofs_verified += 1
                logger.info("ownership check for order %s: verified", number)
                return OwnershipCheck(verified=True)
            self.counters.proofs_failed += 1
            until = await self._guard.record_failure(session, keys, now)
            await self._guard.prune(session, now)
        logger.info("ownership check for order %s: not verified", number)
        if until is not None:
            return OwnershipCheck(verified=False, locked=True, retry_after_s=retry_after(until, now))
        return OwnershipCheck(verified=False)

    async def issue_change_code(self, number: int, purpose: str) -> dict[str, Any]:
        """Mails a one-time code for one change to the order's email; returns where it went (masked)."""
        if purpose not in CHANGE_CODE_PURPOSES:
            raise Invalid(f"purpose must be one of {', '.join(CHANGE_CODE_PURPOSES)}.", fields={"purpose": "unknown"})
        if self._mailer is None:
            raise RuntimeError("the orders service was built without a mailer")
        now = self._clock()
        async with self._sessions.begin() as session:
            order = await self._order(session, number)
            email = order.email
            code = await self._codes.issue(session, number, purpose, now)
        try:
            await self._mailer.send(self._code_mail(number, purpose, email, code))
        except Exception:
            async with self._sessions.begin() as session:
                await self._codes.withdraw(session, number, now)
            raise
        self.counters.codes_sent += 1
        logger.info("change code for order %s (%s) mailed", number, purpose)
        expires = now + self._codes.settings.code_ttl
        return {
            "order_number": order_number_to_json(number),
            "purpose": purpose,
            "sent_to": mask_email(email),
            "expires_at": timestamp_to_json(expires),
        }

    async def redeem_code(self, number: int, purpose: str, code: str) -> None:
        """Spends a valid code or raises CodeRejected; a wrong try is committed before the refusal."""
        async with self._sessions.begin() as session:
            rejected = await self._codes.check(session, number, purpose, code, self._clock())
        if rejected is not None:
            raise rejected

    async def metrics(self) -> dict[str, int]:
        """Counters since start, and the lockouts in force now (from the database, so all processes)."""
        now = self._clock()
        async with self._sessions() as session:
            active = await session.scalar(select(func.count(ProofLockout.id)).where(ProofLockout.until > now))
        return {**self.counters.as_dict(), "lockouts_active": int(active or 0)}

    def _code_mail(self, number: int, purpose: str, email: str, code: str) -> EmailMessage:
        minutes = int(self._codes.settings.code_ttl.total_seconds() // 60)
        # The shopper reads this mail: its words are in the message catalogue (bot/texts), like the chat's.
        catalogue = texts()
        what = catalogue.text(f"emails.change_code.purposes.{purpose}", number=f"{number:06d}")
        message = EmailMessage()
        message["From"] = self._mailer.sender if self._mailer else ""
        message["To"] = email
        message["Subject"] = catalogue.text("emails.change_code.subject", what=what)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="orders.shop")
        message.set_content(catalogue.text("emails.change_code.body", what=what, code=code, minutes=minutes))
        return message

    async def tracking(self, number: int) -> dict[str, Any]:
        async with self._sessions() as session:
            return serialize.tracking(await self._order(session, number))

    async def refunds(self, number: int) -> dict[str, Any]:
        async with self._sessions() as session:
            order = await self._order(session, number)
            return {
                "order_number": order_number_to_json(number),
                "refunds": [serialize.refund(r) for r in order.refunds],
            }

    async def invoice(self, number: int) -> dict[str, Any]:
        async with self._sessions() as session:
            order = await self._order(session, number)
            if order.invoice is None:
                raise Refused(
                    f"There is no invoice for order {number} because {why_not(OrderStatus(order.status))}"
                    if order.paid_at is None
                    else f"The invoice for order {number} is not ready yet.",
                    code="not_paid" if order.paid_at is None else "invoice_not_ready",
                    details={"status": order.status},
                )
            return serialize.invoice(order.invoice)

    # -- shopper changes ------------------------------------------------------------------------

    async def cancel(self, number: int, reason: str, actor: str) -> dict[str, Any]:
        """Cancels a pending or processing order; a paid order gets an approved refund (minus fee)."""
        async with self._sessions.begin() as session:
            order = await self._order(session, number, lock=True)
            check_cancellable(OrderStatus(order.status))
            now = self._clock()
            fee = rules.cancellation_fee(order, now) or Decimal("0.00")
            await self._claim_status(
                session,
                order,
                CANCELLABLE,
                OrderStatus.CANCELLED,
                actor,
                now,
                reason=reason,
                explain=lambda current, _target: check_cancellable(current),
                cancelled_at=now,
            )
            refund = None
            if order.paid_at is not None:
                refund = self._new_refund(session, order, "cancellation", order.total - fee, reason, actor, now)
                refund.status, refund.decided_at = "approved", now
            await self._flush_refund(session, number)
            return serialize.cancellation(order, now, fee, refund)

    async def change_shipping_address(self, number: int, address: dict[str, Any], actor: str) -> dict[str, Any]:
        clean = rules.validate_address(address)
        async with self._sessions.begin() as session:
            order = await self._order(session, number, lock=True)
            check_address_changeable(OrderStatus(order.status))
            now = self._clock()
            changes = {}
            for key, value in clean.items():
                old = getattr(order, f"ship_{key}")
                if old != value:
                    changes[f"shipping_address.{key}"] = (old, value)
            if changes:
                # Claimed like a status change: a parcel that ships meanwhile keeps its address.
                values = {f"ship_{key}": value for key, value in clean.items()}
                await self._claim(
                    session, order, ADDRESS_CHANGEABLE, check_address_changeable, updated_at=now, **values
                )
                self._audit(session, actor, "order", number, "change_shipping_address", changes, now)
            return serialize.order(order, now)

    async def start_return(self, number: int, reason: str, actor: str) -> dict[str, Any]:
        """Opens a return for a delivered order within the return window; shipping is not refunded."""
        async with self._sessions.begin() as session:
            order = await self._order(session, number, lock=True)
            now = self._clock()
            status = OrderStatus(order.status)
            if status != OrderStatus.DELIVERED:
                code = "already_returned" if status == OrderStatus.RETURNED else "not_delivered"
                raise Refused(
                    f"Only delivered orders can be returned, and {why_not(status)}.",
                    code=code,
                    details={"status": status.value},
                )
            if rules.has_return(order):
                raise Refused(f"A return for order {number} has already been started.", code="return_exists")
            deadline = rules.return_deadline(order)
            if deadline is None or now > deadline:
                closing = deadline.date().isoformat() if deadline else "unknown"
                raise Refused(
                    f"The {rules.RETURN_WINDOW.days}-day return window for order {number} closed on {closing}.",
                    code="return_window_closed",
                    details={"days": rules.RETURN_WINDOW.days, "closed_on": closing},
                )
            refund = self._new_refund(session, order, "return", order.total - order.shipping_cost, reason, actor, now)
            await self._flush_refund(session, number)
            return serialize.refund(refund)

    # -- shop-side changes (warehouse, payment provider, support) -------------------------------

    async def set_status(
        self,
        number: int,
        target: OrderStatus,
        actor: str,
        *,
        at: datetime | None = None,
        carrier: str | None = None,
        tracking_number: str | None = None,
        eta: date | None = None,
    ) -> dict[str, Any]:
        """Moves an order along fulfilment, with the side effects each step implies."""
        if target not in FULFILMENT_TARGETS:
            raise Invalid(
                f"Status {target.value} is set by its own operation (cancel, or a completed return refund).",
                fields={"status": "not settable directly"},
            )
        async with self._sessions.begin() as session:
            order = await self._order(session, number, lock=True)
            now = at or self._clock()
            await self._set_status(session, order, target, actor, now)
            if target == OrderStatus.PROCESSING:
                order.paid_at = now
                self._issue_invoice(session, order, actor, now)
            elif target == OrderStatus.SHIPPED:
                self._ship(session, order, actor, now, carrier, tracking_number, eta)
            elif target == OrderStatus.OUT_FOR_DELIVERY:
                self._add_event(order, now, order.ship_city, "Out for delivery")
            elif target == OrderStatus.DELIVERED:
                order.delivered_at = now
                for shipment in order.shipments:
                    shipment.delivered_at = shipment.delivered_at or now
                self._add_event(order, now, order.ship_city, "Delivered")
            await session.flush()
            return serialize.order(order, now)

    async def add_tracking_event(self, number: int, at: datetime, location: str, description: str) -> None:
        """A carrier scan (the demo seed uses it for in-transit events)."""
        async with self._sessions.begin() as session:
            order = await self._order(session, number, lock=True)
            if not order.shipments:
                raise Refused(f"Order {number} has not shipped yet.", code="not_shipped")
            self._add_event(order, at, location, description)

    async def decide_refund(
        self, refund_id: int, target: str, actor: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """requested → approved | rejected, approved → refunded; a refunded return marks the order returned."""
        if not 1 <= refund_id <= MAX_ID:  # no row can have it; PostgreSQL would fail the query itself
            raise NotFound(f"Refund {refund_id} was not found.", code="refund_not_found")
        async with self._sessions.begin() as session:
            query = select(Refund).where(Refund.id == refund_id).with_for_update()
            refund = (await session.scalars(query)).one_or_none()
            if refund is None:
                raise NotFound(f"Refund {refund_id} was not found.", code="refund_not_found")
            current = refund.status
            if target not in REFUND_TRANSITIONS.get(current, set()):
                raise Refused(f"A refund that is {current} cannot become {target}.", code="invalid_transition")
            now = at or self._clock()
            stamp = {"refunded_at": now} if target == "refunded" else {"decided_at": now}
            # Conditional, not read-then-write: SQLite ignores FOR UPDATE, so two decisions could
            # both pass the check above; only one of them can move the row away from `current`.
            claimed = await rows_changed(
                session,
                update(Refund).where(Refund.id == refund_id, Refund.status == current).values(status=target, **stamp),
            )
            if claimed != 1:
                raise Refused(f"Refund {refund_id} was decided by another request just now.", code="invalid_transition")
            for name, value in {"status": target, **stamp}.items():
                set_committed_value(refund, name, value)
            self._audit(session, actor, "refund", refund.id, "decide", {"status": (current, target)}, now)
            if target == "refunded" and refund.kind == "return":
                order = await self._order(session, refund.order_number, lock=True)
                await self._set_status(session, order, OrderStatus.RETURNED, actor, now)
            await session.flush()
            return serialize.refund(refund)

    # -- creation (seed data, tests, future checkout integration) -------------------------------

    async def create_customer(
        self, customer_id: str, name: str, email: str, postcode: str, tier: str = "standard", actor: str = "system"
    ) -> dict[str, Any]:
        async with self._sessions.begin() as session:
            now = self._clock()
            row = Customer(id=customer_id, name=name, email=email, postcode=postcode, tier=tier, created_at=now)
            session.add(row)
            self._audit(session, actor, "customer", customer_id, "create", {"email": (None, email)}, now)
            return serialize.customer(row)

    async def create_order(
        self,
        number: int,
        customer_id: str,
        lines: Iterable[NewLine],
        address: dict[str, Any],
        *,
        placed_at: datetime | None = None,
        delivery_option: str = "standard",
        payment_method: str = "card",
        currency: str = "USD",
        shipping_cost: Decimal = Decimal("4.99"),
        tax_rate: Decimal = Decimal("0.08"),
        actor: str = "system",
    ) -> dict[str, Any]:
        if not 100000 <= number <= 999999:
            raise Invalid("Order numbers have 6 digits (100000-999999).", fields={"order_number": "out of range"})
        clean = rules.validate_address(address)
        new_lines = list(lines)
        if not new_lines:
            raise Invalid("An order needs at least one line.", fields={"lines": "empty"})
        async with self._sessions.begin() as session:
            customer = await self._customer(session, customer_id)
            if await session.get(Order, number) is not None:
                raise Refused(f"Order {number} already exists.", code="order_exists")
            placed = placed_at or self._clock()
            subtotal = sum((line.unit_price * line.quantity for line in new_lines), Decimal("0"))
            tax = (subtotal * tax_rate).quantize(CENT, ROUND_HALF_UP)
            order = Order(
                number=number,
                customer_id=customer.id,
                email=customer.email,
                status=OrderStatus.PENDING_PAYMENT.value,
                placed_at=placed,
                updated_at=placed,
                currency=currency,
                subtotal=subtotal,
                shipping_cost=shipping_cost,
                tax=tax,
                total=subtotal + shipping_cost + tax,
                payment_method=payment_method,
                delivery_option=delivery_option,
                lines=[OrderLine(**vars(line)) for line in new_lines],
                shipments=[],
                refunds=[],
                invoice=None,
                **{f"ship_{key}": value for key, value in clean.items()},
            )
            order.customer = customer
            session.add(order)
            self._audit(session, actor, "order", number, "create", {"status": (None, order.status)}, placed)
            await session.flush()
            return serialize.order(order, self._clock())

    async def audit_trail(self, entity: str, entity_id: str | int) -> list[dict[str, Any]]:
        async with self._sessions() as session:
            query = (
                select(AuditEntry)
                .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
                .order_by(AuditEntry.id)
            )
            return [
                {
                    "at": timestamp_to_json(row.at),
                    "actor": row.actor,
                    "action": row.action,
                    "field": row.field,
                    "old": row.old_value,
                    "new": row.new_value,
                }
                for row in await session.scalars(query)
            ]

    # -- helpers --------------------------------------------------------------------------------

    async def _order(self, session: AsyncSession, number: int, *, lock: bool = False) -> Order:
        query = select(Order).where(Order.number == number)
        if lock:
            query = query.with_for_update()
        order = (await session.scalars(query)).one_or_none()
        if order is None:
            raise NotFound(f"Order {number} was not found.", code="order_not_found")
        return order

    async def _customer(self, session: AsyncSession, customer_id: str) -> Customer:
        customer = await session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"Customer {customer_id} was not found.", code="customer_not_found")
        return customer

    async def _set_status(
        self,
        session: AsyncSession,
        order: Order,
        target: OrderStatus,
        actor: str,
        now: datetime,
        reason: str | None = None,
    ) -> None:
        check_transition(OrderStatus(order.status), target)
        await self._claim_status(
            session, order, {OrderStatus(order.status)}, target, actor, now, reason=reason, explain=check_transition
        )

    async def _claim_status(
        self,
        session: AsyncSession,
        order: Order,
        allowed: Collection[OrderStatus],
        target: OrderStatus,
        actor: str,
        now: datetime,
        *,
        reason: str | None = None,
        explain: Callable[[OrderStatus, OrderStatus], None] | None = None,
        **values: Any,
    ) -> None:
        """Moves the order to `target` only if it is still in one of `allowed`, and audits it;
        `explain(current, target)` raises the refusal that fits a status changed meanwhile."""
        old = order.status

        def refuse(current: OrderStatus) -> None:
            (explain or check_transition)(current, target)

        await self._claim(session, order, allowed, refuse, status=target.value, updated_at=now, **values)
        changes: dict[str, tuple[Any, Any]] = {"status": (old, target.value)}
        if reason:
            changes["reason"] = (None, reason)
        self._audit(session, actor, "order", order.number, "set_status", changes, now)

    async def _claim(
        self,
        session: AsyncSession,
        order: Order,
        allowed: Collection[OrderStatus],
        explain: Callable[[OrderStatus], None],
        **values: Any,
    ) -> None:
        """`UPDATE orders SET … WHERE number = ? AND status IN (allowed)`, checked by its row count.

        The status check before it reads a snapshot; FOR UPDATE makes PostgreSQL wait for a
        concurrent change, but SQLite ignores it, so two requests could both pass the check. The
        conditional UPDATE is decided by the database on the current row: only one of them wins,
        the other gets the refusal its now-current status explains."""
        claimed = await rows_changed(
            session,
            update(Order)
            .where(Order.number == order.number, Order.status.in_([status.value for status in allowed]))
            .values(**values)
            .execution_options(synchronize_session=False),
        )
        if claimed != 1:
            current = await session.scalar(select(Order.status).where(Order.number == order.number))
            logger.info("order %s changed concurrently (now %s): change refused", order.number, current)
            if current is not None:
                explain(OrderStatus(current))
            raise Refused(f"Order {order.number} was changed by another request just now.", code="concurrent_change")
        for name, value in values.items():
            set_committed_value(order, name, value)

    async def _flush_refund(self, session: AsyncSession, number: int) -> None:
        """The unique index on open refunds per order and kind is the last line against doubles."""
        try:
            await session.flush()
        except IntegrityError as error:
            logger.info("second open refund for order %s refused by the database: %s", number, error.orig)
            raise Refused(f"A refund for order {number} is already open.", code="return_exists") from error

    def _new_refund(
        self, session: AsyncSession, order: Order, kind: str, amount: Decimal, reason: str, actor: str, now: datetime
    ) -> Refund:
        refund = Refund(
            kind=kind,
            amount=max(amount, Decimal("0.00")),
            currency=order.currency,
            status="requested",
            reason=reason,
            requested_at=now,
        )
        order.refunds.append(refund)
        self._audit(
            session, actor, "order", order.number, f"start_{kind}_refund", {"refund.amount": (None, refund.amount)}, now
        )
        return refund

    def _issue_invoice(self, session: AsyncSession, order: Order, actor: str, now: datetime) -> None:
        if order.invoice is not None:
            return
        order.invoice = Invoice(
            number=f"INV-{now.year}-{order.number:06d}",
            issued_at=now,
            currency=order.currency,
            subtotal=order.subtotal,
            shipping_cost=order.shipping_cost,
            tax=order.tax,
            total=order.total,
            lines=[
                InvoiceLine(
                    description=" / ".join(p for p in (line.product_name, line.colour, line.size) if p),
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    amount=line.unit_price * line.quantity,
                )
                for line in order.lines
            ],
        )
        self._audit(
            session, actor, "order", order.number, "issue_invoice", {"invoice": (None, order.invoice.number)}, now
        )

    def _ship(
        self,
        session: AsyncSession,
        order: Order,
        actor: str,
        now: datetime,
        carrier: str | None,
        tracking_number: str | None,
        eta: date | None,
    ) -> None:
        carrier = carrier or rules.default_carrier(order.delivery_option)
        sequence = len(order.shipments) + 1
        shipment = Shipment(
            carrier=carrier,
            tracking_number=tracking_number or rules.tracking_number_for(carrier, order.number, sequence),
            shipped_at=now,
            eta=eta or (now + timedelta(days=rules.transit_days(order.delivery_option))).date(),
            events=[TrackingEvent(occurred_at=now, location=WAREHOUSE, description=f"Handed to {carrier}")],
        )
        order.shipments.append(shipment)
        self._audit(
            session,
            actor,
            "order",
            order.number,
            "ship",
            {"shipment": (None, f"{carrier} {shipment.tracking_number}")},
            now,
        )

    def _add_event(self, order: Order, at: datetime, location: str, description: str) -> None:
        shipment = order.shipments[-1] if order.shipments else None
        if shipment is not None:
            shipment.events.append(TrackingEvent(occurred_at=at, location=location, description=description))

    def _audit(
        self,
        session: AsyncSession,
        actor: str,
        entity: str,
        entity_id: str | int,
        action: str,
        changes: dict[str, tuple[Any, Any]],
        now: datetime,
    ) -> None:
        for field, (old, new) in changes.items():
            session.add(
                AuditEntry(
                    at=now,
                    actor=actor,
                    entity=entity,
                    entity_id=str(entity_id),
                    action=action,
                    field=field,
                    old_value=None if old is None else str(old),
                    new_value=None if new is None else str(new),
                )
            )
        # Field names only: the values (a new address, a reason) are the shopper's words; the audit table has them.
        logger.info("%s %s %s by %s (changed: %s)", entity, entity_id, action, actor, ", ".join(changes))
