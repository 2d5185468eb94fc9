"""SQLAlchemy tables. Timestamps are naive UTC (same on SQLite and PostgreSQL); money is Numeric."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, DateTime, Float, Index, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(12, 2)


class Base(DeclarativeBase):
    pass


class CustomerEvent(Base):
    """What the stack reported about a customer: purchases, returns, refunds (orders) and
    conversations, frustration, hand-offs, unanswered questions (the assistant)."""

    __tablename__ = "customer_events"
    __table_args__ = (Index("ix_customer_events_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class RiskScore(Base):
    """The latest score of a customer, replaced by each re-scoring."""

    __tablename__ = "risk_scores"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    risk: Mapped[float] = mapped_column(Float)
    value: Mapped[Decimal] = mapped_column(Money)
    tier: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(DateTime)
    model: Mapped[str] = mapped_column(String(40))  # e.g. "lightgbm+isotonic" — or why none was trained


class RetentionOffer(Base):
    """An offer made to keep a customer (a goodwill coupon, a follow-up), for the report."""

    __tablename__ = "retention_offers"
    __table_args__ = (Index("ix_retention_offers_customer", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(16))  # goodwill | follow_up
    cost: Mapped[Decimal] = mapped_column(Money)
    tier: Mapped[str] = mapped_column(String(8))
    risk: Mapped[float] = mapped_column(Float)
    value: Mapped[Decimal] = mapped_column(Money)
