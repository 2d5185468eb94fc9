"""The coordinator: one data-subject request (export or erase) across every store of the stack.

It opens each store's database with the URL that store's service uses (docs/privacy.md says why
databases, not the services' HTTP APIs) and leaves the queries to the store's own `privacy.py`.
First the stores widen the subject (an e-mail finds the customer id and order numbers in the orders
backend, those find conversations in the recommender, the tracker store and the desk), then every
store answers for the whole subject."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from backends.orders import db as orders_db
from backends.orders import privacy as orders
from backends.pricing import db as pricing_db
from backends.pricing import privacy as pricing
from backends.recommendations import db as recommendations_db
from backends.recommendations import privacy as recommendations
from backends.retention import db as retention_db
from backends.retention import privacy as retention
from contracts.event_stream import analytics_stream_dir
from contracts.privacy import Subject
from handoff import config as handoff_config
from handoff import db as handoff_db
from handoff import privacy as handoff
from privacy import stream_files, tracker_store
from service_kit.db import make_engine, make_sessions
from service_kit.privacy import Erasure

T = TypeVar("T")
STORE_NAMES = ("tracker_store", "orders", "pricing", "recommendations", "handoff", "retention")  # the document's order
DATABASES = ("orders", "pricing", "recommendations", "handoff", "retention", "tracker")  # one URL each
ANALYTICS_STREAM = "analytics_stream"  # files, not a database: after the others in a document
NOT_SEARCHED = {
    "knowledge_graph": "the product graph holds the catalogue only, no shopper data",
    "external_ticket_systems": "tickets copied to RT, Zendesk or a webhook (see handoff.tickets[].external_refs) "
    "are erased in that system",
    "queues": "var/handoff-outbox.sqlite and var/handoff-forward.sqlite hold only items not yet delivered "
    "to the desk (minutes); they are delivered and then deleted",
    "logs": "service logs carry no message texts or addresses (see docs/operations.md)",
    "event_stream": "RabbitMQ holds an event only until the recommendations and analytics consumers acknowledge "
    "it (seconds while they run); the analytics copy (ANALYTICS_STREAM_DIR) is searched when it is on this host",
}


@dataclass(frozen=True)
class Stores:
    """One engine per database; `mail_dir` is the orders backend's demo outbox (a Maildir), if any."""

    orders: AsyncEngine
    pricing: AsyncEngine
    recommendations: AsyncEngine
    handoff: AsyncEngine
    retention: AsyncEngine
    tracker: AsyncEngine
    mail_dir: Path | None
    analytics_stream: Path | None = None  # the event stream's analytics files, when this host has them

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Stores:
        """The variables the launcher gives every service (docs/architecture.md), with the same defaults."""
        var = Path(env.get("ASSISTANT_VAR", "var"))
        urls = {
            "orders": env.get("ORDERS_DB_URL") or f"sqlite+aiosqlite:///{var / 'orders.sqlite'}",
            "pricing": env.get("PRICING_DB_URL") or pricing_db.default_db_url(env),
            "recommendations": env.get("RECS_DB_URL") or recommendations_db.default_db_url(),
            "handoff": env.get("HANDOFF_DB_URL") or handoff_config.default_db_url(env),
            "retention": env.get("RETENTION_DB_URL") or retention_db.default_db_url(env),
            "tracker": tracker_store.tracker_db_url(env),
        }
        mail_dir = None if env.get("SMTP_HOST") else Path(env.get("MAIL_OUTBOX_DIR") or var / "mail-outbox")
        stream = analytics_stream_dir(env)
        stream_on = env.get("ASSISTANT_EVENT_BROKER", "none").strip().lower() != "none" or stream.is_dir()
        return cls.from_urls(urls, mail_dir, stream if stream_on else None)

    @classmethod
    def from_urls(cls, urls: Mapping[str, str], mail_dir: Path | None, analytics_stream: Path | None = None) -> Stores:
        """One database URL per name of `DATABASES`."""
        return cls(
            orders=make_engine(urls["orders"]),
            pricing=make_engine(urls["pricing"]),
            recommendations=make_engine(urls["recommendations"]),
            handoff=make_engine(urls["handoff"]),
            retention=make_engine(urls["retention"]),
            # Rasa's own database: opened without the services' SQLite pragmas (no switch to WAL).
            tracker=create_async_engine(urls["tracker"]),
            mail_dir=mail_dir,
            analytics_stream=analytics_stream,
        )

    async def aclose(self) -> None:
        for engine in (self.orders, self.pricing, self.recommendations, self.handoff, self.retention, self.tracker):
            await engine.dispose()


@dataclass(frozen=True)
class Found:
    """A resolved request: the widened subject, what the tracker store's content search matched (and
    why), and whether Rasa has created its table yet."""

    subject: Subject
    conversations: dict[str, list[str]]
    tracker_exists: bool


class SubjectRequests:
    """Export and erase for one shopper; the desk's privacy API and `python -m privacy` both use it."""

    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self._tables_ready = False

    async def aclose(self) -> None:
        await self.stores.aclose()

    async def export(self, subject: Subject) -> dict[str, Any]:
        found = await self.resolve(subject)
        subject = found.subject
        parts = await side_by_side(
            self._tracker_export(found),
            self._in_session(self.stores.orders, orders.export, subject, self.stores.mail_dir),
            self._in_session(self.stores.pricing, pricing.export, subject),
            self._in_session(self.stores.recommendations, recommendations.export, subject),
            self._in_session(self.stores.handoff, handoff.export, subject),
            self._in_session(self.stores.retention, retention.export, subject),
        )
        stores = dict(zip(STORE_NAMES, parts, strict=True))
        if self.stores.analytics_stream is not None:
            # The same events as the tracker store's part above, copied for the analytics: counted.
            events = await asyncio.to_thread(
                stream_files.count_events, self.stores.analytics_stream, subject.conversation_ids
            )
            stores[ANALYTICS_STREAM] = {
                "matched_by": "conversation id; the events themselves are in tracker_store above",
                "events": events,
            }
        return {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "subject": subject.as_json(),
            "stores": stores,
            "not_searched": NOT_SEARCHED,
        }

    async def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, Any]:
        """Every store's changes are made first (side by side: separate databases) and committed
        together at the end (rolled back for a dry run), so a failing store leaves all of them as they
        were. A crash between two commits leaves the later stores to a repeated request, which finds
        exactly what is left."""
        found = await self.resolve(subject)
        subject = found.subject
        async with (
            self._session(self.stores.orders) as orders_session,
            self._session(self.stores.pricing) as pricing_session,
            self._session(self.stores.recommendations) as recommendations_session,
            self._session(self.stores.handoff) as handoff_session,
            self._session(self.stores.retention) as retention_session,
            self.stores.tracker.connect() as tracker,
        ):
            tracker_transaction = await tracker.begin()
            parts = await side_by_side(
                tracker_store.erase(tracker, subject) if found.tracker_exists else _nothing(),
                orders.erase(orders_session, subject, self.stores.mail_dir, dry_run=dry_run),
                pricing.erase(pricing_session, subject),
                recommendations.erase(recommendations_session, subject),
                handoff.erase(handoff_session, subject),
                retention.erase(retention_session, subject),
            )
            sessions = (orders_session, pricing_session, recommendations_session, handoff_session, retention_session)
            if dry_run:
                await tracker_transaction.rollback()
                await side_by_side(*(session.rollback() for session in sessions))
            else:
                await tracker_transaction.commit()
                await side_by_side(*(session.commit() for session in sessions))
        stores = {name: part.as_json() for name, part in zip(STORE_NAMES, parts, strict=True)}
        if self.stores.analytics_stream is not None:
            copied = await asyncio.to_thread(
                stream_files.erase, self.stores.analytics_stream, subject.conversation_ids, dry_run=dry_run
            )
            stores[ANALYTICS_STREAM] = copied.as_json()
        return {"dry_run": dry_run, "subject": subject.as_json(), "stores": stores}

    async def resolve(self, subject: Subject) -> Found:
        """Every identifier of the subject the stores know, each with the store it came from: the
        orders backend first (e-mail → customer ids, order numbers), then the recommender and the
        tracker store side by side (→ conversations), then the desk (tickets → conversations)."""
        await self._ensure_tables()
        subject = await self._in_session(self.stores.orders, orders.identifiers, subject)
        tracker_exists = await tracker_store.has_events(self.stores.tracker)
        with_recommendations, searched = await side_by_side(
            self._in_session(self.stores.recommendations, recommendations.conversations, subject),
            self._tracker_search(subject) if tracker_exists else _no_conversations(),
        )
        subject = with_recommendations.widened(tracker_store.SOURCE, conversation_ids=searched)
        subject = await self._in_session(self.stores.handoff, handoff.conversations, subject)
        return Found(subject, searched, tracker_exists)

    async def _tracker_search(self, subject: Subject) -> dict[str, list[str]]:
        async with self.stores.tracker.connect() as connection:
            return await tracker_store.search(connection, subject)

    async def _tracker_export(self, found: Found) -> dict[str, Any]:
        if not found.tracker_exists:
            return {"conversations": []}
        async with self.stores.tracker.connect() as connection:
            return await tracker_store.export(connection, found.subject, found.conversations)

    async def _in_session(self, engine: AsyncEngine, query: Callable[..., Awaitable[T]], *args: Any) -> T:
        """One store's read in a session of its own (stores are read side by side)."""
        async with self._session(engine) as session:
            return await query(session, *args)

    async def _ensure_tables(self) -> None:
        """A backend that never started has no tables yet: create them as the service would (empty)."""
        if self._tables_ready:
            return
        await orders_db.create_tables(self.stores.orders)
        await pricing_db.create_tables(self.stores.pricing)
        await recommendations_db.create_tables(self.stores.recommendations)
        await handoff_db.create_tables(self.stores.handoff)
        await retention_db.create_tables(self.stores.retention)
        self._tables_ready = True

    @asynccontextmanager
    async def _session(self, engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
        async with make_sessions(engine)() as session:
            yield session


async def _nothing() -> Erasure:
    return Erasure()


async def _no_conversations() -> dict[str, list[str]]:
    return {}


async def side_by_side(*steps: Awaitable[Any]) -> list[Any]:
    """Runs one step per store at once (separate databases). Every step finishes before a failure is
    raised, so no session is closed under a running query."""
    results = await asyncio.gather(*steps, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
