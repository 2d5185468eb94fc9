"""Conversation expiry (privacy/expire.py) on SQLite and PostgreSQL: old conversations leave the tracker
store whole, old closed tickets lose everything that names the shopper, the rest stays as it was."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from contracts.privacy import Subject
from handoff.models import AuditEvent, Message, Ticket
from privacy import tracker_store
from privacy.expire import DEFAULT_DAYS, ExpirySettings, sweep, sweep_forever
from privacy.requests import DATABASES, Stores, SubjectRequests
from service_kit.db import make_sessions
from settings_kit.settings import InvalidSetting
from tests.privacy.privacy_support import SHOPPERS
from tools.privacy_seed import EPOCH

DAYS = 30
# Shopper n's rows are seeded at EPOCH + n minutes (their conversations last seconds): this cut-off
# lets shoppers 1 and 2 expire and keeps 3 to 5.
NOW = EPOCH.replace(tzinfo=UTC) + timedelta(days=DAYS, minutes=2, seconds=45)
OLD, KEPT = SHOPPERS[:2], SHOPPERS[2:]
JANE = SHOPPERS[0]


async def events_by_sender(stores: Stores) -> dict[str, int]:
    async with stores.tracker.connect() as connection:
        rows = await connection.execute(
            select(tracker_store.events.c.sender_id, func.count()).group_by(tracker_store.events.c.sender_id)
        )
        return {sender: count for sender, count in rows}


async def desk_rows(stores: Stores) -> dict[str, list[dict[str, Any]]]:
    """Every ticket, message and audit event as plain values, ordered by id."""
    tables = (Ticket.__table__, Message.__table__, AuditEvent.__table__)
    async with stores.handoff.connect() as connection:
        return {
            table.name: [dict(row._mapping) for row in await connection.execute(select(table).order_by(table.c.id))]
            for table in tables
        }


def ticket_of(rows: dict[str, list[dict[str, Any]]], shopper_index: int) -> dict[str, Any]:
    """The seed gives shopper n the ticket n + 1."""
    return next(t for t in rows["tickets"] if t["id"] == shopper_index + 1)


async def test_a_sweep_expires_old_conversations_and_keeps_the_rest(stores: Stores) -> None:
    before = await events_by_sender(stores)
    desk_before = await desk_rows(stores)
    orders_before = (await SubjectRequests(stores).export(Subject.named(email=JANE.email)))["stores"]["orders"]

    report = await sweep(stores, DAYS, now=NOW)

    old_senders = [c for s in OLD for c in s.conversations.values()]
    assert report["stores"]["tracker_store"] == {
        "deleted": {"conversations": len(old_senders), "events": sum(before[c] for c in old_senders)},
        "anonymised": {},
    }
    messages_of_old = [m for m in desk_before["messages"] if m["ticket_id"] in {s.index + 1 for s in OLD}]
    assert report["stores"]["handoff"] == {
        "deleted": {},
        "anonymised": {"tickets": len(OLD), "messages": len(messages_of_old)},
    }
    after = await events_by_sender(stores)
    assert after == {c: n for c, n in before.items() if c not in old_senders}
    assert {c for s in KEPT for c in s.conversations.values()} <= set(after)

    desk_after = await desk_rows(stores)
    for shopper in OLD:
        ticket = ticket_of(desk_after, shopper.index)
        old_ticket = ticket_of(desk_before, shopper.index)
        assert ticket["conversation_id"] == f"expired-{ticket['id']}"
        shopper_fields = (ticket["customer"], ticket["order"], ticket["entities"], ticket["summary"])
        assert shopper_fields == ({}, None, [], "[expired]")
        # What the analytics page reads stays.
        for kept in ("channel", "status", "reason", "frustration", "created_at", "taken_at", "closed_at"):
            assert ticket[kept] == old_ticket[kept]
    expired_messages = [m for m in desk_after["messages"] if m["ticket_id"] in {s.index + 1 for s in OLD}]
    assert [(m["role"], m["created_at"]) for m in expired_messages] == [
        (m["role"], m["created_at"]) for m in messages_of_old
    ]
    assert {m["text"] for m in expired_messages} == {"[expired]"}
    assert desk_after["audit_events"] == desk_before["audit_events"]
    for shopper in KEPT:
        assert ticket_of(desk_after, shopper.index) == ticket_of(desk_before, shopper.index)

    # Nothing of the expired shoppers' conversations is left to export; their orders are untouched.
    for shopper in OLD:
        document = await SubjectRequests(stores).export(Subject.named(email=shopper.email, phone=shopper.phone))
        conversations = json.dumps([document["stores"]["tracker_store"], document["stores"]["handoff"]])
        assert not any(value in conversations for value in (shopper.email, shopper.phone, shopper.name))
        assert document["stores"]["tracker_store"]["conversations"] == []
        assert document["stores"]["handoff"]["tickets"] == []
    after_orders = (await SubjectRequests(stores).export(Subject.named(email=JANE.email)))["stores"]["orders"]
    assert after_orders == orders_before

    again = await sweep(stores, DAYS, now=NOW)
    assert again["stores"] == {n: {"deleted": {}, "anonymised": {}} for n in ("tracker_store", "handoff")}


async def test_a_dry_run_counts_and_changes_nothing(stores: Stores) -> None:
    before, desk_before = await events_by_sender(stores), await desk_rows(stores)

    report = await sweep(stores, DAYS, now=NOW, dry_run=True)

    assert report["dry_run"] is True
    assert report["stores"]["tracker_store"]["deleted"]["conversations"] == 3 * len(OLD)
    assert report["stores"]["handoff"]["anonymised"]["tickets"] == len(OLD)
    assert await events_by_sender(stores) == before
    assert await desk_rows(stores) == desk_before


async def test_a_conversation_still_going_and_an_open_ticket_are_kept(stores: Stores) -> None:
    """Age counts from a conversation's last event (a shopper who came back keeps the whole
    conversation: Rasa replays it); an open ticket is live work, however old."""
    app = JANE.conversations["app"]
    recent = (NOW - timedelta(days=1)).timestamp()
    async with stores.tracker.begin() as connection:
        event = {"event": "user", "timestamp": recent, "text": "still there?", "metadata": {}}
        await connection.execute(
            insert(tracker_store.events).values(
                sender_id=app, type_name="user", timestamp=recent, data=json.dumps(event)
            )
        )
    second = SHOPPERS[1]
    async with make_sessions(stores.handoff)() as session:
        await session.execute(
            update(Ticket).where(Ticket.id == second.index + 1).values(status="waiting", closed_at=None)
        )
        await session.commit()
    before, desk_before = await events_by_sender(stores), await desk_rows(stores)

    report = await sweep(stores, DAYS, now=NOW)

    after = await events_by_sender(stores)
    assert after[app] == before[app]
    assert report["stores"]["tracker_store"]["deleted"]["conversations"] == 3 * len(OLD) - 1
    assert report["stores"]["handoff"]["anonymised"]["tickets"] == 1
    assert ticket_of(await desk_rows(stores), second.index) == ticket_of(desk_before, second.index)


async def test_stores_that_were_never_started_have_nothing_to_expire(tmp_path: Path) -> None:
    stores = Stores.from_urls({n: f"sqlite+aiosqlite:///{tmp_path / n}.sqlite" for n in DATABASES}, None)
    try:
        report = await sweep(stores, DAYS, now=datetime.now(UTC))
    finally:
        await stores.aclose()
    assert report["stores"] == {n: {"deleted": {}, "anonymised": {}} for n in ("tracker_store", "handoff")}


@pytest.mark.parametrize(
    ("value", "days"), [(None, DEFAULT_DAYS), ("", DEFAULT_DAYS), ("off", None), (" OFF ", None), ("400", 400)]
)
def test_the_age_setting(value: str | None, days: int | None) -> None:
    env = {} if value is None else {"CONVERSATION_RETENTION_DAYS": value}
    assert ExpirySettings.from_env(env).days == days


@pytest.mark.parametrize("value", ["0", "-3", "ninety", "1.5"])
def test_a_wrong_age_names_the_variable(value: str) -> None:
    with pytest.raises(InvalidSetting, match="CONVERSATION_RETENTION_DAYS"):
        ExpirySettings.from_env({"CONVERSATION_RETENTION_DAYS": value})


async def test_the_desks_job_survives_a_database_that_is_down(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing listens on port 1: each sweep fails with a log line, the job goes on (the desk serves)."""
    urls = {n: f"sqlite+aiosqlite:///{tmp_path / n}.sqlite" for n in DATABASES}
    stores = Stores.from_urls({**urls, "tracker": "postgresql+asyncpg://rasa@127.0.0.1:1/rasa"}, None)
    job = asyncio.create_task(sweep_forever(stores, ExpirySettings(days=DAYS, interval_h=0.0002)))
    try:
        with caplog.at_level(logging.ERROR, logger="privacy.expire"):
            await asyncio.sleep(2)
            assert not job.done()
    finally:
        job.cancel()
        await stores.aclose()
    failures = [r for r in caplog.records if r.getMessage().startswith("conversation expiry failed")]
    assert len(failures) >= 2, caplog.text


async def test_off_means_the_job_never_sweeps(tmp_path: Path) -> None:
    stores = Stores.from_urls({n: f"sqlite+aiosqlite:///{tmp_path / n}.sqlite" for n in DATABASES}, None)
    await asyncio.wait_for(sweep_forever(stores, ExpirySettings(days=None)), timeout=5)
    await stores.aclose()
