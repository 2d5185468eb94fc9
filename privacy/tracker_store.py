"""Rasa's SQL tracker store (SQLite or PostgreSQL): the conversations of a shopper, incl. voice transcripts.

Rasa writes one row per event into `events` (`rasa.core.tracker_store.SQLTrackerStore`: sender_id,
type_name, timestamp, intent_name, action_name, and the event as JSON text in `data`). No service of
ours owns this table, so its queries live here, beside the coordinator. A conversation belongs to the
subject when its id is known from another store (a ticket, a recommendation), when a user event's
metadata carries the subject's customer id (the app channel) or caller number (the voice gateway),
or when the shopper typed the subject's e-mail or phone. Conversations are deleted whole: nothing in
them is an accounting record."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.identity import CUSTOMER_ID_KEY
from contracts.privacy import Subject, normal_phone
from service_kit.privacy import Erasure

metadata = MetaData()
# The layout of Rasa 3.6's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py); Rasa creates it.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
CALLER_KEY = "caller"  # the voice gateway's metadata key for the caller's number (channels/voice)
SOURCE = "tracker_store"  # how the coordinator names what this store found
SEARCHED_TYPES = ("user", "slot")  # what the shopper said, and what the bot kept of it
EXPIRE_BATCH = 500  # conversation ids per DELETE: SQLite allows 32 766 bound parameters, asyncpg 32 767


def tracker_db_url(env: Mapping[str, str] = os.environ) -> str:
    """The tracker store bot/endpoints*.yml configure: TRACKER_DB_URL if set, PostgreSQL from the
    TRACKER_PG_* variables when ASSISTANT_STORE=postgres, else $ASSISTANT_VAR/tracker.db."""
    if env.get("TRACKER_DB_URL"):
        return env["TRACKER_DB_URL"]
    if env.get("ASSISTANT_STORE") == "postgres":
        return URL.create(
            "postgresql+asyncpg",
            username=env.get("TRACKER_PG_USER"),
            password=env.get("TRACKER_PG_PASSWORD") or None,
            host=env.get("TRACKER_PG_HOST"),
            port=int(env.get("TRACKER_PG_PORT") or 5432),
            database=env.get("TRACKER_PG_DB"),
        ).render_as_string(hide_password=False)
    return f"sqlite+aiosqlite:///{env.get('ASSISTANT_VAR', 'var')}/tracker.db"


async def has_events(engine: AsyncEngine) -> bool:
    """Rasa creates the table on its first start; before that there is nothing to find."""
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: sync.dialect.has_table(sync, "events"))


async def search(connection: AsyncConnection, subject: Subject) -> dict[str, list[str]]:
    """Conversation id → why its content matched. One scan over user and slot events: a LIKE narrows,
    the parsed event confirms (a LIKE on "an@x.com" also hits "jan@x.com"; a phone's last four digits
    hit many numbers)."""
    narrowing = _narrowing(subject, ignore_case=connection.dialect.name != "sqlite")
    if narrowing is None:
        return {}
    rows = await connection.execute(
        select(events.c.sender_id, events.c.data).where(events.c.type_name.in_(SEARCHED_TYPES), narrowing)
    )
    matched: dict[str, set[str]] = {}
    for sender_id, data in rows:
        for reason in _reasons(json.loads(data), subject):
            matched.setdefault(sender_id, set()).add(reason)
    return {sender: sorted(reasons) for sender, reasons in sorted(matched.items())}


def _narrowing(subject: Subject, *, ignore_case: bool) -> ColumnElement[bool] | None:
    """The customer id as the app channel writes it and a phone's last four digits have no case: a
    plain LIKE. An e-mail may be typed in any case: SQLite's LIKE ignores ASCII case already;
    PostgreSQL's ILIKE costs three plain LIKEs (0.3 s per needle over 440 000 events), so it only
    looks at events with an "@" in them."""
    exact = [f'"{CUSTOMER_ID_KEY}": {json.dumps(c)}' for c in subject.customer_ids]
    exact += [_digits(p)[-4:] for p in subject.phones]
    conditions = [events.c.data.contains(needle, autoescape=True) for needle in exact]
    if subject.emails and ignore_case:
        any_email = or_(*(events.c.data.icontains(e, autoescape=True) for e in subject.emails))
        conditions.append(and_(events.c.data.contains("@"), any_email))
    elif subject.emails:
        conditions += [events.c.data.contains(e, autoescape=True) for e in subject.emails]
    return or_(*conditions) if conditions else None


async def export(connection: AsyncConnection, subject: Subject, searched: dict[str, list[str]]) -> dict[str, Any]:
    """`searched` is what `search` found for this subject (the coordinator searched while widening it);
    conversations other stores named are added with the store that named them."""
    found = {sender: list(reasons) for sender, reasons in searched.items()}
    for conversation in sorted(subject.conversation_ids):
        source = subject.found_by.get(conversation, "the request")
        if source != SOURCE:
            found.setdefault(conversation, []).insert(0, f"conversation id from {source}")
    rows = await connection.execute(
        select(events.c.sender_id, events.c.data).where(events.c.sender_id.in_(found)).order_by(events.c.id)
    )
    by_conversation: dict[str, list[Any]] = {sender: [] for sender in sorted(found)}
    for sender_id, data in rows:
        by_conversation[sender_id].append(json.loads(data))
    return {
        "matched_by": "conversation id, user-event metadata (customer id, caller), e-mail or phone typed",
        "conversations": [
            {"conversation_id": sender, "matched_by": found[sender], "events": conversation}
            for sender, conversation in by_conversation.items()
            if conversation
        ],
    }


async def erase(connection: AsyncConnection, subject: Subject) -> Erasure:
    """Every event of the subject's conversations (the widened subject holds what `search` found)."""
    done = Erasure()
    result = await connection.execute(delete(events).where(events.c.sender_id.in_(subject.conversation_ids)))
    done.delete("events", result.rowcount)
    return done


async def expire(connection: AsyncConnection, before: float) -> Erasure:
    """Every event of the conversations whose last event is older than `before` (a Unix time, Rasa's
    event timestamps). Whole conversations go, not single old events: Rasa replays a conversation
    from its stored events, and one cut at an arbitrary event would replay a half-filled form."""
    done = Erasure()
    stale = select(events.c.sender_id).group_by(events.c.sender_id).having(func.max(events.c.timestamp) < before)
    senders = list(await connection.scalars(stale))
    for start in range(0, len(senders), EXPIRE_BATCH):
        batch = senders[start : start + EXPIRE_BATCH]
        result = await connection.execute(delete(events).where(events.c.sender_id.in_(batch)))
        done.delete("events", result.rowcount)
    done.delete("conversations", len(senders))
    return done


def _reasons(event: dict[str, Any], subject: Subject) -> list[str]:
    reasons = []
    metadata = event.get("metadata") or {}
    if metadata.get(CUSTOMER_ID_KEY) in subject.customer_ids:
        reasons.append("app channel customer id")
    caller = metadata.get(CALLER_KEY)
    if isinstance(caller, str) and caller and normal_phone(caller) in subject.phones:
        reasons.append("voice caller number")
    said = str(event.get("text") if event.get("event") == "user" else event.get("value") or "")
    if any(re.search(rf"(?<![\w.+-]){re.escape(e)}(?![\w-])", said, re.IGNORECASE) for e in subject.emails):
        reasons.append("e-mail in the conversation")
    digits = _digits(said)
    if any(len(_digits(p)) >= 7 and _digits(p)[-10:] in digits for p in subject.phones):
        reasons.append("phone number in the conversation")
    return reasons


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)
