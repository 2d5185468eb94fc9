"""The analytics warehouse: an in-memory DuckDB filled from the stack's own stores.

DuckDB's SQLite and PostgreSQL scanners are extensions it downloads at run time (not possible
offline), so each store is read through SQLAlchemy (the drivers the services use: aiosqlite,
asyncpg) in chunks of Arrow rows, and DuckDB does the rest: the tracker events' JSON is parsed in
DuckDB per chunk into narrow columns, and the derived tables (`turns`, `conversations`) and every
figure are SQL over those. Only what the figures need is copied: no customer ids, no addresses.

Tracker events are loaded incrementally (`refresh` appends the rows after the last id it has), so
a long-running desk re-reads only what is new, unless events were deleted in the store (erasure,
retention): then all of them are read again. Tickets, goodwill coupons and the recommendation
lists and conversions are small and re-read whole (lists without the customer they were shown to)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Row, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from analytics.settings import StoreUrls
from analytics.stream_events import events_from_stream, stream_relation
from service_kit.db import make_engine

CHUNK_ROWS = 50_000  # tracker rows per Arrow chunk: bounds memory on a million events

# Rasa's action names the figures look for (bot/data/rules.yml, config.yml, actions/handoff.py).
HANDOFF_ACTION = "action_handoff"
FALLBACK_ACTIONS = ("action_default_fallback", "action_fallback_rephrase")
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")
SATISFACTION_SLOT = "satisfaction"  # a 1-5 rating, once the bot asks for one (not yet: docs/analytics.md)

SCHEMA = """
-- The channel a report shows: the app, the phone, and the web (REST and the socket.io widget).
CREATE OR REPLACE MACRO channel_group(input_channel) AS
    CASE input_channel WHEN 'app' THEN 'app' WHEN 'voice' THEN 'voice' ELSE 'web' END;
-- The same groups from a conversation id (contracts/identity.py `app-`, the voice channel's `voice-`,
-- the web's `rest-`/`web-`); a list the shop's own site asked for names no conversation: `site`.
CREATE OR REPLACE MACRO conversation_channel(conversation_id) AS
    CASE WHEN conversation_id IS NULL THEN 'site' WHEN conversation_id LIKE 'app-%' THEN 'app'
         WHEN conversation_id LIKE 'voice-%' THEN 'voice' ELSE 'web' END;
CREATE TABLE IF NOT EXISTS events (
    id BIGINT, sender_id VARCHAR, type_name VARCHAR, happened_at TIMESTAMP, intent_name VARCHAR,
    action_name VARCHAR, input_channel VARCHAR, text VARCHAR, frustration DOUBLE,
    slot_name VARCHAR, slot_value VARCHAR
);
CREATE OR REPLACE TABLE tickets (
    id BIGINT, conversation_id VARCHAR, channel VARCHAR, reason VARCHAR, frustration DOUBLE,
    created_at TIMESTAMP, taken_at TIMESTAMP, closed_at TIMESTAMP
);
CREATE OR REPLACE TABLE ticket_messages (ticket_id BIGINT, role VARCHAR, created_at TIMESTAMP);
CREATE OR REPLACE TABLE goodwill_offers (reason VARCHAR, amount DOUBLE, coupon_code VARCHAR, issued_at TIMESTAMP);
CREATE OR REPLACE TABLE coupon_redemptions (code VARCHAR, order_value DOUBLE, redeemed_at TIMESTAMP);
CREATE OR REPLACE TABLE rec_lists (id BIGINT, conversation_id VARCHAR, personalised BOOLEAN, shown_at TIMESTAMP);
CREATE OR REPLACE TABLE rec_conversions (list_id BIGINT, kind VARCHAR, revenue DOUBLE, converted_at TIMESTAMP);
"""

# One chunk of Rasa's `events` rows (registered as `chunk`) into the narrow table. The channel is
# the user event's input_channel; the frustration the tone model's score (not the neutral fallback).
PARSE_EVENTS = """
INSERT INTO events
SELECT id, sender_id, type_name, to_timestamp(timestamp)::TIMESTAMP, intent_name, action_name,
    CASE WHEN type_name = 'user' THEN json_extract_string(data, '$.input_channel') END,
    CASE WHEN type_name = 'user' THEN json_extract_string(data, '$.text') END,
    CASE WHEN type_name = 'user'
          AND coalesce(json_extract_string(data, '$.parse_data.frustration.source'), '') <> 'fallback'
         THEN TRY_CAST(json_extract(data, '$.parse_data.frustration.score') AS DOUBLE) END,
    CASE WHEN type_name = 'slot' THEN json_extract_string(data, '$.name') END,
    CASE WHEN type_name = 'slot' THEN json_extract_string(data, '$.value') END
FROM chunk
"""

# A conversation is one Rasa session of a sender (a `session_started` opens the next one) with at
# least one shopper message; its channel is the first message's (web = REST and the web widget).
DERIVE = f"""
CREATE OR REPLACE TABLE numbered AS
SELECT *,
    sum(CASE WHEN type_name = 'session_started' THEN 1 ELSE 0 END)
        OVER (PARTITION BY sender_id ORDER BY id) AS session,
    first_value(CASE WHEN type_name = 'action' AND action_name <> 'action_listen' THEN action_name END
        IGNORE NULLS) OVER (PARTITION BY sender_id ORDER BY id
        ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_action
FROM events;
CREATE OR REPLACE TABLE conversations AS
SELECT sender_id, session,
    min(happened_at) FILTER (WHERE type_name = 'user') AS started_at,
    channel_group(arg_min(input_channel, id) FILTER (WHERE type_name = 'user')) AS channel,
    count(*) FILTER (WHERE type_name = 'user') AS user_turns,
    bool_or(type_name = 'action' AND action_name = '{HANDOFF_ACTION}') AS handed_off,
    TRY_CAST(arg_max(slot_value, id) FILTER (WHERE slot_name = '{SATISFACTION_SLOT}') AS DOUBLE) AS satisfaction
FROM numbered
GROUP BY sender_id, session
HAVING count(*) FILTER (WHERE type_name = 'user') > 0;
CREATE OR REPLACE TABLE turns AS
SELECT n.id, n.sender_id, n.session, n.happened_at, n.text, n.intent_name AS intent, n.frustration, c.channel,
    (n.intent_name IN {FALLBACK_INTENTS} OR n.next_action IN {FALLBACK_ACTIONS}) AS fallback
FROM numbered n JOIN conversations c USING (sender_id, session)
WHERE n.type_name = 'user' AND coalesce(n.input_channel, '') <> 'handoff';
DROP TABLE numbered;
"""

TRACKER_COLUMNS = "id, sender_id, type_name, timestamp, intent_name, action_name, data"
SMALL_TABLES = {
    # DuckDB table: (store, the store's table, its columns the figures read, in the DuckDB table's order)
    "tickets": (
        "handoff",
        "tickets",
        ("id", "conversation_id", "channel", "reason", "frustration", "created_at", "taken_at", "closed_at"),
    ),
    "ticket_messages": ("handoff", "messages", ("ticket_id", "role", "created_at")),
    "goodwill_offers": ("pricing", "goodwill_offers", ("reason", "amount", "coupon_code", "issued_at")),
    "coupon_redemptions": ("pricing", "coupon_redemptions", ("code", "order_value", "at")),
    "rec_lists": ("recommendations", "rec_lists", ("id", "conversation_id", "personalised", "shown_at")),
    "rec_conversions": ("recommendations", "rec_conversions", ("list_id", "kind", "revenue", "converted_at")),
}


class Warehouse:
    """One DuckDB connection holding the stores' copies; `refresh` brings them up to date."""

    def __init__(self, urls: StoreUrls, events_dir: Path | None = None) -> None:
        self.urls = urls
        # ANALYTICS_EVENTS=stream: the tracker events come from the event stream's files (stream_events.py).
        self.events_dir = events_dir or events_from_stream(os.environ)
        self.db = duckdb.connect()
        self.db.execute("SET TimeZone = 'UTC'")  # every store keeps naive UTC; days are UTC days
        self.db.execute(SCHEMA)
        self.last_event_id = 0
        self._engines: dict[str, AsyncEngine] = {}

    def _engine(self, store: str) -> AsyncEngine:
        if store not in self._engines:
            url = getattr(self.urls, store)
            # Rasa's database is opened without the services' SQLite pragmas (no switch to WAL).
            self._engines[store] = create_async_engine(url) if store == "tracker" else make_engine(url)
        return self._engines[store]

    async def refresh(self) -> None:
        """New tracker events, then the small tables whole, then the derived tables. DuckDB's work runs
        in a worker thread (it releases the GIL), so the desk's event loop keeps serving agents."""
        await self._load_events()
        for table, (store, source, columns) in SMALL_TABLES.items():
            await self._load_small(table, store, source, columns)
        await asyncio.to_thread(self.db.execute, DERIVE)

    async def _load_events(self) -> None:
        """The events after the last one read. When the store holds fewer events than were read (a
        shopper's data erased, old conversations deleted by retention), everything is read again:
        what was deleted there must not live on here."""
        if self.events_dir is not None:
            await asyncio.to_thread(self._load_stream_events, self.events_dir)
            return
        if _absent(self.urls.tracker):
            return
        query = text(f"SELECT {TRACKER_COLUMNS} FROM events WHERE id > :after ORDER BY id")
        try:
            async with self._engine("tracker").connect() as connection:
                result = await connection.stream(query, {"after": self.last_event_id})
                async for rows in result.partitions(CHUNK_ROWS):
                    await asyncio.to_thread(self._insert_events, rows)
                # Up to the last id read, so events Rasa writes meanwhile do not look like a deletion.
                counted = text("SELECT count(*) FROM events WHERE id <= :last")
                stored = (await connection.execute(counted, {"last": self.last_event_id})).scalar_one()
                if stored != self._loaded_events():
                    self.db.execute("DELETE FROM events")
                    self.last_event_id = 0
                    result = await connection.stream(query, {"after": 0})
                    async for rows in result.partitions(CHUNK_ROWS):
                        await asyncio.to_thread(self._insert_events, rows)
        except SQLAlchemyError as error:
            if not _missing_table(error):
                raise

    def _loaded_events(self) -> int:
        found = self.db.execute("SELECT count(*) FROM events").fetchone()
        return int(found[0]) if found else 0

    def _load_stream_events(self, directory: Path) -> None:
        """All of the stream's events, read again each time (the files are append-only copies)."""
        self.db.execute("DELETE FROM events")
        rows = stream_relation(self.db, directory)
        if rows is not None:
            rows.create_view("chunk")
            try:
                self.db.execute(PARSE_EVENTS)
            finally:
                self.db.execute("DROP VIEW chunk")

    def _insert_events(self, rows: Sequence[Row[Any]]) -> None:
        names = [name.strip() for name in TRACKER_COLUMNS.split(",")]
        chunk = pa.table({name: pa.array([row[i] for row in rows]) for i, name in enumerate(names)})
        self.db.register("chunk", chunk)
        try:
            self.db.execute(PARSE_EVENTS)
        finally:
            self.db.unregister("chunk")
        self.last_event_id = max(self.last_event_id, int(rows[-1][0]))

    async def _load_small(self, table: str, store: str, source: str, columns: tuple[str, ...]) -> None:
        """A store that has not started yet (no file, no table) counts as empty."""
        rows = [] if _absent(getattr(self.urls, store)) else await self._select(store, source, columns)
        self.db.execute(f"DELETE FROM {table}")
        if rows:
            data = pa.table({name: pa.array([_plain(row[i]) for row in rows]) for i, name in enumerate(columns)})
            self.db.register("data", data)
            try:
                self.db.execute(f"INSERT INTO {table} SELECT * FROM data")
            finally:
                self.db.unregister("data")

    async def _select(self, store: str, source: str, columns: tuple[str, ...]) -> list[Any]:
        try:
            async with self._engine(store).connect() as connection:
                return list((await connection.execute(text(f"SELECT {', '.join(columns)} FROM {source}"))).all())
        except SQLAlchemyError as error:
            if not _missing_table(error):
                raise
            return []

    async def aclose(self) -> None:
        for engine in self._engines.values():
            await engine.dispose()
        self.db.close()


def _plain(value: object) -> object:
    """PostgreSQL answers money as Decimal, SQLite as a number: Arrow wants one kind per column."""
    return float(value) if isinstance(value, Decimal) else value


def _missing_table(error: SQLAlchemyError) -> bool:
    message = str(error).lower()
    return "no such table" in message or "does not exist" in message


def _absent(url: str) -> bool:
    """A SQLite file that is not there yet: opening it would create an empty one beside the service's."""
    parsed = make_url(url)
    database = parsed.database or ""
    return parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not Path(database).exists()
