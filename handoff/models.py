"""SQLAlchemy tables of the ticket store. Timestamps are naive UTC (same on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

OPEN_STATUSES = ("waiting", "held", "follow_up")
EXTERNAL_REPLY_INDEX = "ux_messages_external_reply"
QUEUED_STATUSES = ("waiting", "follow_up")


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_queue", "status", "priority", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    # The conversation id while the ticket is open, NULL once closed: the unique index makes "one open
    # ticket per conversation" hold even when two handoff requests race.
    open_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # waiting | held | follow_up | closed
    priority: Mapped[int] = mapped_column(Integer)  # 1 low … 4 urgent
    reason: Mapped[str] = mapped_column(String(32))
    frustration: Mapped[float] = mapped_column(Float)
    customer: Mapped[dict[str, Any]] = mapped_column(JSON)
    order: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    intent: Mapped[str | None] = mapped_column(String(64))
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sentiment_history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text)
    assigned_agent: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # {connector name: {"id": external id | None, "state": pending|synced|rejected, "attempts": n,
    #  "error": str | None, "sent_message_id": last message id sent, "last_reply": last reply id seen}}
    external_refs: Mapped[dict[str, Any]] = mapped_column(JSON)


class Message(Base):
    __tablename__ = "messages"
    # The retry loop looks for the few undelivered relays among many delivered messages. A reply made in
    # an external ticket system is stored once even when two deliveries of it race (its id is the
    # idempotency key); messages without an external id (NULL) are not constrained.
    __table_args__ = (
        Index("ix_messages_pending", "delivered", "ticket_id"),
        Index(EXTERNAL_REPLY_INDEX, "ticket_id", "source", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))  # user | bot | agent | note | system
    kind: Mapped[str] = mapped_column(String(8))  # text | join | release
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(32))  # bot | desk | <connector name>
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Only agent replies and system relays (join, release) travel to the shopper; they stay False until
    # Rasa confirms, and the retry loop keeps trying. Everything else is stored delivered.
    delivered: Mapped[bool] = mapped_column(Boolean)
    delivered_as: Mapped[str | None] = mapped_column(String(8))  # live | stored | refused (for good)
    delivery_error: Mapped[str | None] = mapped_column(String(300))


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout and password change: every cookie issued before stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # agent name, "bot", "system" or a connector
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
