"""Stores with known contents for the analytics tests: a Rasa tracker store of generated
conversations (tools/tracker_events.py), desk tickets, goodwill coupons and recommendation lists with
their clicks and purchases (made by the real recommendations service), all SQLite files in one
ASSISTANT_VAR directory, and the figures they must give counted straight from the rows."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median

from sqlalchemy import MetaData, insert
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from analytics.settings import StoreUrls
from backends.pricing.models import Base as PricingBase
from backends.pricing.models import GoodwillOffer, Redemption
from backends.recommendations import db as recommendations_db
from backends.recommendations.demo import demo_items
from backends.recommendations.service import RecommendationService
from backends.recommendations.settings import Settings as RecommendationSettings
from handoff.models import Base as HandoffBase
from handoff.models import Message, Ticket
from privacy import tracker_store
from service_kit.db import create_tables, make_engine, make_sessions
from tools.tracker_events import Mix, Row, conversations

START = datetime(2026, 11, 2, 9, 0)  # a Monday, naive UTC like every store
MIX = Mix(fallback=0.5, handoff=0.25, rated=0.5, turns=3)
CHANNEL_GROUP = {"rest": "web", "socketio": "web", "app": "app", "voice": "voice"}
# (the ticket's input channel, reason, waited s (None: never taken), first agent reply after s)
TICKETS = [
    ("socketio", "frustration", 60, 120),
    ("rest", "asked_for_person", 300, 400),
    ("socketio", "asked_for_person", 900, None),
    ("voice", "frustration", None, None),
]
# Recommendation lists: (conversation id, customer, consented). Each customer then views and buys the
# first item shown (for REC_REVENUE); only lists shown with consent name the customer and earn them.
REC_LISTS = [("app-1", "C1", True), ("web-2", "C2", False), ("rest-3", "C3", True), (None, "C4", True)]
REC_REVENUE = Decimal("25.00")
# lists shown, personalised, clicks, purchases, revenue per channel
REC_EXPECTED = {
    "app": (1, 1, 1, 1, 25.0),
    "web": (2, 1, 1, 1, 25.0),
    "site": (1, 1, 1, 1, 25.0),
}


def urls_for(var: Path) -> StoreUrls:
    return StoreUrls.from_env({"ASSISTANT_VAR": str(var)})


def tracker_rows(count: int = 40, *, first_id: int = 1, prefix: str = "c") -> list[Row]:
    """Conversations spread over three days from START."""
    start = START.replace(tzinfo=UTC).timestamp()
    return list(conversations(count, start, 3 * 86400, seed=3, mix=MIX, first_id=first_id, prefix=prefix))


async def fill_stores(urls: StoreUrls, rows: list[Row]) -> None:
    """The tracker events in Rasa's layout, the tickets and the coupons, on SQLite or PostgreSQL."""
    tracker = create_async_engine(urls.tracker)
    async with tracker.begin() as connection:
        await connection.run_sync(tracker_store.metadata.create_all)
        columns = [column.name for column in tracker_store.events.columns]
        await connection.execute(insert(tracker_store.events), [dict(zip(columns, row, strict=True)) for row in rows])
    await tracker.dispose()
    await _add(urls.handoff, HandoffBase.metadata, _tickets)
    await _add(urls.pricing, PricingBase.metadata, _coupons)
    await _recommendations(urls.recommendations)


async def _recommendations(url: str) -> None:
    """REC_LISTS through the recommendations service itself, so the figures rest on its attribution."""
    engine = recommendations_db.make_engine(url)
    await recommendations_db.create_tables(engine)
    shown_at = START.replace(tzinfo=UTC)
    service = RecommendationService(
        recommendations_db.make_sessions(engine), demo_items(), RecommendationSettings(), clock=lambda: shown_at
    )
    acted_at = (shown_at + timedelta(hours=1)).isoformat()
    for conversation, customer, consent in REC_LISTS:
        shown = await service.recommendations(customer, None, (), 3, conversation, consent=consent)
        product = shown["items"][0]["product_id"]
        for kind in ("view", "purchase"):
            event = {"customer_id": customer, "product_id": product, "type": kind, "occurred_at": acted_at}
            await service.add_interaction({**event, "revenue": float(REC_REVENUE)} if kind == "purchase" else event)
    await engine.dispose()


async def _add(url: str, metadata: MetaData, make: Callable[[AsyncSession], Awaitable[None]]) -> None:
    engine = make_engine(url)
    await create_tables(engine, metadata)
    async with make_sessions(engine)() as session, session.begin():
        await make(session)
    await engine.dispose()


async def _tickets(session: AsyncSession) -> None:
    for number, (channel, reason, waited, replied) in enumerate(TICKETS):
        created = START + timedelta(hours=number)
        ticket = Ticket(
            conversation_id=f"t{number}", open_key=None, channel=channel, status="closed", priority=2,
            reason=reason, frustration=0.5, customer={}, order=None, intent=None, entities=[],
            sentiment_history=[], summary="", created_at=created,
            taken_at=None if waited is None else created + timedelta(seconds=waited),
            closed_at=None, external_refs={},
        )  # fmt: skip
        session.add(ticket)
        await session.flush()
        session.add(_message(ticket.id, "user", created))
        if replied is not None:
            session.add(_message(ticket.id, "agent", created + timedelta(seconds=replied)))
            session.add(_message(ticket.id, "agent", created + timedelta(seconds=replied + 500)))


async def _coupons(session: AsyncSession) -> None:
    for number, code in enumerate(("GW-1", "GW-2", "GW-3")):
        session.add(
            GoodwillOffer(
                customer_id=f"cust-{number}", reason="frustration", order_number=None, amount=Decimal("5.00"),
                coupon_code=code, issued_at=START + timedelta(days=number % 2),
            )
        )  # fmt: skip
    redeemed = Redemption(code="GW-2", customer_id="cust-1", order_number="1", order_value=Decimal(40), at=START)
    session.add(redeemed)


def _message(ticket_id: int, role: str, at: datetime) -> Message:
    return Message(
        ticket_id=ticket_id, role=role, kind="text", text="…", author=None, source="desk", external_id=None,
        created_at=at, delivered=True, delivered_as="live", delivery_error=None,
    )  # fmt: skip


@dataclass
class Expected:
    """The figures counted from the generated rows, per channel over the whole period."""

    conversations: Counter[str]
    handed_off: Counter[str]
    messages: Counter[str]
    fallbacks: Counter[str]
    ratings: dict[str, list[float]]
    unanswered: Counter[str]


def expected(rows: list[Row]) -> Expected:
    channel_of: dict[str, str] = {}
    result = Expected(Counter(), Counter(), Counter(), Counter(), defaultdict(list), Counter())
    for _, sender, kind, _, intent, action, data in rows:
        event = json.loads(data)
        if kind == "user":
            channel = channel_of.setdefault(sender, CHANNEL_GROUP[event["input_channel"]])
            result.messages[channel] += 1
            if intent == "nlu_fallback":
                result.fallbacks[channel] += 1
                result.unanswered[event["text"]] += 1
        elif kind == "action" and action == "action_handoff":
            result.handed_off[channel_of[sender]] += 1
        elif kind == "slot" and event["name"] == "satisfaction":
            result.ratings[channel_of[sender]].append(float(event["value"]))
    result.conversations = Counter(channel_of.values())
    return result


def expected_waits() -> dict[str, float | None]:
    """Median wait per channel (web, app, voice) of TICKETS (all on START's day)."""
    waits: dict[str, list[int]] = defaultdict(list)
    for channel, _, waited, _ in TICKETS:
        waits[CHANNEL_GROUP[channel]] += [] if waited is None else [waited]
    return {channel: (median(found) if found else None) for channel, found in waits.items()}
