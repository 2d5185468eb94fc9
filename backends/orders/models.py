"""SQLAlchemy tables. Timestamps are naive UTC (same on SQLite and PostgreSQL); money is Numeric."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

Money = Numeric(12, 2)


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    postcode: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16))  # standard | silver | gold
    created_at: Mapped[datetime] = mapped_column(DateTime)

    orders: Mapped[list[Order]] = relationship(back_populates="customer", lazy="raise")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer_placed", "customer_id", "placed_at"),)

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(32))
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    shipping_cost: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    payment_method: Mapped[str] = mapped_column(String(32))
    delivery_option: Mapped[str] = mapped_column(String(32))
    ship_name: Mapped[str] = mapped_column(String(120))
    ship_line1: Mapped[str] = mapped_column(String(120))
    ship_line2: Mapped[str | None] = mapped_column(String(120))
    ship_city: Mapped[str] = mapped_column(String(80))
    ship_postcode: Mapped[str] = mapped_column(String(16))
    ship_country: Mapped[str] = mapped_column(String(2))

    customer: Mapped[Customer] = relationship(back_populates="orders", lazy="selectin")
    lines: Mapped[list[OrderLine]] = relationship(lazy="selectin", order_by="OrderLine.id")
    shipments: Mapped[list[Shipment]] = relationship(lazy="selectin", order_by="Shipment.id")
    refunds: Mapped[list[Refund]] = relationship(lazy="selectin", order_by="Refund.id")
    invoice: Mapped[Invoice | None] = relationship(lazy="selectin")


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[int] = mapped_column(ForeignKey("orders.number"), index=True)
    sku: Mapped[str] = mapped_column(String(40))
    product_name: Mapped[str] = mapped_column(String(200))
    colour: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[str | None] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[int] = mapped_column(ForeignKey("orders.number"), index=True)
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str] = mapped_column(String(64))
    shipped_at: Mapped[datetime] = mapped_column(DateTime)
    eta: Mapped[date | None] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)

    events: Mapped[list[TrackingEvent]] = relationship(lazy="selectin", order_by="TrackingEvent.occurred_at")


class TrackingEvent(Base):
    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    location: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(200))


# Refund statuses that still await money movement; at most one such refund per order and kind.
OPEN_REFUND_STATUSES = ("requested", "approved")
_OPEN_REFUND = text("status IN ('requested', 'approved')")


class Refund(Base):
    __tablename__ = "refunds"
    # A partial unique index (SQLite and PostgreSQL both have them): two concurrent requests cannot
    # both open a refund for the same order and kind, whatever the isolation level does.
    __table_args__ = (
        Index(
            "uq_refunds_open_per_order_kind",
            "order_number",
            "kind",
            unique=True,
            sqlite_where=_OPEN_REFUND,
            postgresql_where=_OPEN_REFUND,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[int] = mapped_column(ForeignKey("orders.number"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # return | cancellation
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # requested | approved | refunded | rejected
    reason: Mapped[str] = mapped_column(String(500))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_number: Mapped[int] = mapped_column(ForeignKey("orders.number"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    shipping_cost: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)

    lines: Mapped[list[InvoiceLine]] = relationship(lazy="selectin", order_by="InvoiceLine.id")


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)


class AuditEntry(Base):
    """One row per changed field: who changed what, when, from which value to which."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))  # customer | order | refund | invoice | shipment
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class ProofFailure(Base):
    """One failed ownership proof, counted per order number and per client key (insert-only, so
    concurrent failures never lose a count)."""

    __tablename__ = "proof_failures"
    __table_args__ = (Index("ix_proof_failures_scope_key_at", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))  # order | client
    key: Mapped[str] = mapped_column(String(64))  # order number, or a hash of the client key
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class ProofLockout(Base):
    """An order number or client that may not prove ownership until `until` (the cool-down)."""

    __tablename__ = "proof_lockouts"
    __table_args__ = (Index("ix_proof_lockouts_scope_key_until", "scope", "key", "until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64))
    locked_at: Mapped[datetime] = mapped_column(DateTime)
    until: Mapped[datetime] = mapped_column(DateTime)
    failures: Mapped[int] = mapped_column(Integer)


class ChangeCode(Base):
    """A one-time code mailed to the order's address; only its keyed hash is stored."""

    __tablename__ = "change_codes"
    __table_args__ = (Index("ix_change_codes_order_purpose", "order_number", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[int] = mapped_column(ForeignKey("orders.number"))
    purpose: Mapped[str] = mapped_column(String(32))  # cancel | shipping_address | return
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
