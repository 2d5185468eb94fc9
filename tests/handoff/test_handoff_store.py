"""The ticket store on SQLite and PostgreSQL: idempotent opening, races, queue order, hand-back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from handoff.db import create_tables
from handoff.models import EXTERNAL_REPLY_INDEX, Message
from handoff.store import TicketStore
from service_kit.db import make_engine, make_sessions
from service_kit.errors import NotFound, Refused


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 10, 0, 0)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[TicketStore]:
    engine = make_engine(db_url)
    await create_tables(engine)
    yield TicketStore(make_sessions(engine), Clock())
    await engine.dispose()


def fields(conversation_id: str = "c1", priority: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "channel": "socketio",
        "status": "waiting",
        "priority": priority,
        "reason": "explicit_request",
        "frustration": 0.2,
        "customer": {"id": "C1"},
        "order": None,
        "intent": "contact_human_agent",
        "entities": [],
        "sentiment_history": [],
        "summary": "The shopper wants a person.",
        **extra,
    }


LINES = [
    {"role": "user", "text": "I want a human", "timestamp": 1763900000.0},
    {"role": "bot", "text": "Connecting you.", "timestamp": 1763900001.0},
]


async def test_second_handoff_updates_the_open_ticket_and_appends_only_new_lines(store: TicketStore) -> None:
    first, created = await store.open_ticket(fields(), LINES)
    assert created
    more = [*LINES, {"role": "user", "text": "hello??", "timestamp": 1763900050.0}]
    again, created_again = await store.open_ticket(fields(priority=3, frustration=0.7), more)
    assert not created_again and again["ticket_id"] == first["ticket_id"]
    assert (again["priority"], again["frustration"]) == (3, 0.7)
    texts = [m["text"] for m in (await store.ticket(first["ticket_id"]))["messages"]]
    assert texts == ["I want a human", "Connecting you.", "hello??"]
    # Priority never drops while the shopper waits.
    lower, _ = await store.open_ticket(fields(priority=1, frustration=0.1), more)
    assert (lower["priority"], lower["frustration"]) == (3, 0.7)


async def test_concurrent_handoffs_for_one_conversation_make_one_ticket(store: TicketStore) -> None:
    results = await asyncio.gather(*(store.open_ticket(fields("race"), LINES) for _ in range(8)))
    assert len({ticket["ticket_id"] for ticket, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(await store.queue()) == 1


async def test_take_race_has_exactly_one_winner(store: TicketStore) -> None:
    ticket, _ = await store.open_ticket(fields(), LINES)
    outcomes = await asyncio.gather(
        *(store.take(ticket["ticket_id"], agent) for agent in ("alex", "bo", "cy", "di")), return_exceptions=True
    )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [o for o in outcomes if isinstance(o, Refused)]
    assert len(winners) == 1 and len(losers) == 3, outcomes
    holder = winners[0][0]["assigned_agent"]
    assert all(o.code == "already_taken" and holder in o.message for o in losers)
    # The holder taking again is harmless; the ticket left the queue.
    again, newly = await store.take(ticket["ticket_id"], holder)
    assert not newly and again["status"] == "held"
    assert await store.queue() == []


async def test_queue_is_ordered_by_priority_then_age(store: TicketStore) -> None:
    ids = {}
    for name, priority in (("old-low", 1), ("old-high", 3), ("new-high", 3), ("urgent", 4), ("follow", 2)):
        status = "follow_up" if name == "follow" else "waiting"
        ticket, _ = await store.open_ticket(fields(name, priority, status=status), [])
        ids[name] = ticket["ticket_id"]
    assert [t["conversation_id"] for t in await store.queue()] == [
        "urgent",
        "old-high",
        "new-high",
        "follow",
        "old-low",
    ]
    positions = {name: await store.queue_position(ticket_id) for name, ticket_id in ids.items()}
    assert positions == {"urgent": 1, "old-high": 2, "new-high": 3, "old-low": 4, "follow": None}


async def test_queue_depths_count_waiting_and_follow_up_tickets(store: TicketStore) -> None:
    """The desk's queue-depth gauge (handoff/metrics.py): held tickets have left the queue."""
    assert await store.queue_depths() == {"waiting": 0, "follow_up": 0}
    for name, status in (("a", "waiting"), ("b", "waiting"), ("c", "follow_up"), ("d", "waiting")):
        ticket, _ = await store.open_ticket(fields(name, status=status), [])
    await store.take(ticket["ticket_id"], "alex")
    assert await store.queue_depths() == {"waiting": 2, "follow_up": 1}


async def test_close_hands_back_and_the_next_handoff_opens_a_new_ticket(store: TicketStore) -> None:
    ticket, _ = await store.open_ticket(fields(), LINES)
    await store.take(ticket["ticket_id"], "alex")
    with pytest.raises(Refused, match="Only the agent holding"):
        await store.close(ticket["ticket_id"], "bo", "Bo")
    closed, release = await store.close(ticket["ticket_id"], "alex", "Alex")
    assert closed["status"] == "closed" and closed["closed_at"]
    assert (release["kind"], release["delivered"], release["author"]) == ("release", False, "Alex")
    assert [m["id"] for m in await store.undelivered()] == [release["id"]]
    with pytest.raises(NotFound):
        await store.add_shopper_message("c1", "anyone?", None)
    fresh, created = await store.open_ticket(fields(), LINES)
    assert created and fresh["ticket_id"] != ticket["ticket_id"]
    with pytest.raises(Refused):
        await store.take(ticket["ticket_id"], "bo")


async def test_only_the_holder_replies_and_replies_start_undelivered(store: TicketStore) -> None:
    ticket, _ = await store.open_ticket(fields(), LINES)
    number = ticket["ticket_id"]
    with pytest.raises(Refused, match="Take the conversation"):
        await store.add_message(number, "agent", "hi", "Alex", holder="alex")
    await store.take(number, "alex")
    reply = await store.add_message(number, "agent", "hi", "Alex", holder="alex")
    note = await store.add_message(number, "note", "VIP customer", "Bo")
    assert (reply["delivered"], note["delivered"]) == (False, True)
    assert [m["id"] for m in await store.undelivered()] == [reply["id"]]
    failed = await store.mark_delivery(reply["id"], None, "the assistant cannot be reached")
    assert not failed["delivered"] and failed["delivery_error"]
    ok = await store.mark_delivery(reply["id"], "live", None)
    assert ok["delivered"] and ok["delivered_as"] == "live" and ok["delivery_error"] is None
    assert await store.undelivered() == []


async def test_external_replies_are_stored_once_and_refs_are_kept(store: TicketStore) -> None:
    ticket, _ = await store.open_ticket(fields(), LINES)
    number = ticket["ticket_id"]
    first = await store.add_external_reply(number, "rt5", "r1", "We are on it.", "Sam")
    assert first is not None and first["role"] == "agent" and first["source"] == "rt5"
    assert await store.add_external_reply(number, "rt5", "r1", "We are on it.", "Sam") is None
    await store.set_external_ref(number, "rt5", {"id": "42", "state": "synced", "error": None})
    assert (await store.external_refs(number))["rt5"]["id"] == "42"
    assert (await store.ticket(number))["external"] == {"rt5": {"id": "42", "state": "synced", "error": None}}


async def test_a_reply_delivered_twice_at_once_is_stored_once(store: TicketStore) -> None:
    """The reply id is the idempotency key: racing deliveries (two desk processes, a retry that
    crossed the first) both pass the "seen?" check, and the unique index keeps one."""
    ticket, _ = await store.open_ticket(fields(), LINES)
    number = ticket["ticket_id"]
    stored = await asyncio.gather(
        *(store.add_external_reply(number, "webhook", "r9", "On its way.", "Zoe") for _ in range(6))
    )
    assert len([message for message in stored if message is not None]) == 1
    replies = [m for m in (await store.ticket(number))["messages"] if m["source"] == "webhook"]
    assert len(replies) == 1


async def test_the_database_itself_refuses_a_second_copy_of_a_reply(store: TicketStore) -> None:
    ticket, _ = await store.open_ticket(fields(), LINES)
    row = {"ticket_id": ticket["ticket_id"], "role": "agent", "kind": "text", "text": "hi", "author": "Zoe"}
    row |= {"source": "webhook", "external_id": "r1", "created_at": datetime(2026, 11, 23), "delivered": False}
    async with store._sessions.begin() as session:
        session.add(Message(**row))
    with pytest.raises(IntegrityError, match=r"ux_messages_external_reply|messages\.external_id"):
        async with store._sessions.begin() as session:
            session.add(Message(**row))
    # Messages without an external id are not constrained.
    async with store._sessions.begin() as session:
        session.add_all([Message(**(row | {"external_id": None})), Message(**(row | {"external_id": None}))])


async def test_a_database_made_before_the_index_gets_it_at_start(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        async with engine.begin() as connection:
            await connection.execute(text(f"DROP INDEX {EXTERNAL_REPLY_INDEX}"))  # as a database of last month
        await create_tables(engine)  # the desk starting again
        async with engine.connect() as connection:
            indexes = await connection.run_sync(lambda sync: inspect(sync).get_indexes("messages"))
        assert EXTERNAL_REPLY_INDEX in {index["name"] for index in indexes}
    finally:
        await engine.dispose()


async def test_audit_trail_records_who_did_what(store: TicketStore) -> None:
    ticket, _ = await store.open_ticket(fields(), LINES)
    await store.open_ticket(fields(), LINES)
    await store.take(ticket["ticket_id"], "alex")
    await store.close(ticket["ticket_id"], "alex", "Alex")
    trail = await store.audit_trail(ticket["ticket_id"])
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("bot", "opened"),
        ("bot", "handoff_repeated"),
        ("alex", "taken"),
        ("alex", "closed"),
    ]
