"""Tables: the interaction log, the exposure log (lists and their items) and attributed conversions.

Columns added after a database was created (`RecList.personalised`, `Conversion.kind`,
`Conversion.revenue`) are nullable or have a server default: `db.create_tables` adds them to an
existing table (`ALTER TABLE ... ADD COLUMN`), so an older database keeps working."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, Numeric, String, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

LOGGED_ID = 64  # the stored length of a conversation id (rec_interactions.conversation_id)


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def logged_conversation(conversation_id: str | None) -> str | None:
    """The log's 64 characters of a conversation id (a web chat's are longer; the start is unique:
    its random part comes first). privacy.py matches ids the same way."""
    return conversation_id[:LOGGED_ID] if conversation_id else None


class Base(DeclarativeBase):
    pass


class Interaction(Base):
    __tablename__ = "rec_interactions"
    __table_args__ = (Index("ix_rec_interactions_customer_time", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecList(Base):
    """One recommendation list shown (an exposure of the shopper to a variant)."""

    __tablename__ = "rec_lists"
    __table_args__ = (
        Index("ix_rec_lists_conversation_time", "conversation_id", "shown_at"),
        Index("ix_rec_lists_customer_time", "customer_id", "shown_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    experiment: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str] = mapped_column(String(64))
    shown_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Built from the shopper's own history (they consented); False: popularity and the product asked about.
    personalised: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)


class RecItem(Base):
    __tablename__ = "rec_list_items"
    __table_args__ = (Index("ix_rec_items_customer_product", "customer_id", "product_id", "shown_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("rec_lists.id", ondelete="CASCADE"))
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    product_id: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer)
    shown_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Conversion(Base):
    """A click (view or add-to-cart) or purchase of a recommended item by the customer the list was shown
    to, within the attribution window, attributed to the newest such list (and its variant), once per
    list, item and kind. A purchase carries the revenue the shop reported for it, when it did."""

    __tablename__ = "rec_conversions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(128))
    list_id: Mapped[int] = mapped_column(ForeignKey("rec_lists.id", ondelete="CASCADE"))
    experiment: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(16), server_default=text("'purchase'"), default="purchase")
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)  # the shop's currency
    converted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
