"""SQLAlchemy tables. Timestamps are naive UTC (same on SQLite and PostgreSQL); money is Numeric."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(12, 2)
Percent = Numeric(5, 2)


class Base(DeclarativeBase):
    pass


class Sale(Base):
    """A time-limited sale on one product, a category (and its subcategories) or everything."""

    __tablename__ = "sales"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(8))  # percent | amount
    value: Mapped[Decimal] = mapped_column(Money)
    scope: Mapped[str] = mapped_column(String(8))  # product | category | all
    target: Mapped[str | None] = mapped_column(String(200))  # product id or category path
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)


class StockRule(Base):
    """Matches when min_stock <= stock <= max_stock; either withholds discounts or gives a percentage off."""

    __tablename__ = "stock_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    min_stock: Mapped[int | None] = mapped_column(Integer)
    max_stock: Mapped[int | None] = mapped_column(Integer)
    effect: Mapped[str] = mapped_column(String(16))  # no_discount | percent_off
    percent: Mapped[Decimal | None] = mapped_column(Percent)


class TierDiscount(Base):
    __tablename__ = "tier_discounts"

    tier: Mapped[str] = mapped_column(String(16), primary_key=True)  # new | regular | vip
    percent: Mapped[Decimal] = mapped_column(Percent)


class CustomerTier(Base):
    """The tier the shop assigned to a customer; unknown customers count as `new`."""

    __tablename__ = "customer_tiers"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tier: Mapped[str] = mapped_column(String(16))


class Coupon(Base):
    __tablename__ = "coupons"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # percent | amount
    value: Mapped[Decimal] = mapped_column(Money)
    valid_from: Mapped[datetime] = mapped_column(DateTime)
    valid_to: Mapped[datetime] = mapped_column(DateTime)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    max_uses_per_customer: Mapped[int | None] = mapped_column(Integer)
    min_order_value: Mapped[Decimal | None] = mapped_column(Money)
    customer_id: Mapped[str | None] = mapped_column(String(64))  # personal coupons (goodwill)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Redemption(Base):
    __tablename__ = "coupon_redemptions"
    __table_args__ = (Index("ix_redemptions_code_customer", "code", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(64))
    order_number: Mapped[str | None] = mapped_column(String(32))
    order_value: Mapped[Decimal] = mapped_column(Money)
    at: Mapped[datetime] = mapped_column(DateTime)


class Guardrail(Base):
    """Limits for one SKU, one product, or `default` (used when neither has its own)."""

    __tablename__ = "guardrails"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    floor_price: Mapped[Decimal | None] = mapped_column(Money)
    ceiling_price: Mapped[Decimal | None] = mapped_column(Money)
    max_daily_change_percent: Mapped[Decimal | None] = mapped_column(Percent)
    min_change_interval_minutes: Mapped[int | None] = mapped_column(Integer)


class ShelfPrice(Base):
    """The last quoted shelf price per SKU (or product) and when it last changed, for the change guardrails."""

    __tablename__ = "shelf_prices"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    price: Mapped[Decimal | None] = mapped_column(Money)  # None: a placeholder, never quoted yet
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    quoted_at: Mapped[datetime] = mapped_column(DateTime)
    # The daily change limit is measured from the price a 24-hour window opened with, so a series
    # of small steps cannot add up to more than the limit within a day.
    day_price: Mapped[Decimal | None] = mapped_column(Money)
    day_started_at: Mapped[datetime | None] = mapped_column(DateTime)


class GoodwillBudget(Base):
    """Singleton row (id 1) set by the operator. `version` is bumped to serialise issuing."""

    __tablename__ = "goodwill_budget"

    id: Mapped[int] = mapped_column(primary_key=True)
    daily_budget: Mapped[Decimal] = mapped_column(Money)
    per_customer_budget: Mapped[Decimal] = mapped_column(Money)
    per_customer_window_days: Mapped[int] = mapped_column(Integer)
    default_amount: Mapped[Decimal] = mapped_column(Money)
    valid_days: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class GoodwillOffer(Base):
    __tablename__ = "goodwill_offers"
    __table_args__ = (UniqueConstraint("coupon_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    order_number: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Money)
    coupon_code: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class QuoteAudit(Base):
    """One row per quote decision: what was asked, which rules applied, what came out, when."""

    __tablename__ = "quote_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    adjustments: Mapped[list[Any]] = mapped_column(JSON)
    guardrail: Mapped[str | None] = mapped_column(String(300))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))


class LearnerArm(Base):
    """The price learner's posterior for one discount level of one arm set (product group × segment)."""

    __tablename__ = "learner_arms"

    product_group: Mapped[str] = mapped_column(String(200), primary_key=True)
    segment: Mapped[str] = mapped_column(String(32), primary_key=True)
    discount: Mapped[Decimal] = mapped_column(Percent, primary_key=True)
    alpha: Mapped[float] = mapped_column(Float)
    beta: Mapped[float] = mapped_column(Float)
    offers: Mapped[int] = mapped_column(Integer, default=0)
    purchases: Mapped[int] = mapped_column(Integer, default=0)


class LearnerOffer(Base):
    """The learned discount an arm set gets now, and when it last moved (for the move limits)."""

    __tablename__ = "learner_offers"

    product_group: Mapped[str] = mapped_column(String(200), primary_key=True)
    segment: Mapped[str] = mapped_column(String(32), primary_key=True)
    discount: Mapped[Decimal] = mapped_column(Percent)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime)


class LearnerOutcome(Base):
    """Whether the shopper bought after a learned offer: one per quote, so no outcome counts twice."""

    __tablename__ = "learner_outcomes"

    quote_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bought: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime)
