"""The figures over stores with known contents (analytics/warehouse.py, analytics/figures.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.figures import Table, figure, figures, unanswered
from analytics.settings import StoreUrls
from analytics.warehouse import Warehouse
from tests.analytics.analytics_support import (
    REC_EXPECTED,
    START,
    expected,
    expected_waits,
    fill_stores,
    tracker_rows,
    urls_for,
)
from tools.tracker_events import write

SINCE = datetime(2020, 1, 1)


def per_channel(table: Table, column: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for channel, value in zip(table.column("channel"), table.column(column), strict=True):
        totals[channel] = totals.get(channel, 0) + (value or 0)
    return totals


@pytest.fixture(params=["sqlite", "postgres"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> StoreUrls:
    """The same stores on SQLite files and on PostgreSQL databases (read through asyncpg)."""
    if request.param == "sqlite":
        return urls_for(tmp_path)
    server = request.getfixturevalue("postgres_server")
    return StoreUrls(*(server.create_database(name) for name in ("tracker", "handoff", "pricing", "recommendations")))


@pytest.fixture
async def warehouse(urls: StoreUrls) -> AsyncIterator[Warehouse]:
    await fill_stores(urls, tracker_rows())
    found = Warehouse(urls)
    await found.refresh()
    yield found
    await found.aclose()


async def test_conversation_figures_match_the_events(warehouse: Warehouse) -> None:
    want = expected(tracker_rows())
    tables = figures(warehouse.db, "day", SINCE)
    conversations, messages = tables["conversations"], tables["messages"]
    assert per_channel(conversations, "conversations") == dict(want.conversations)
    assert per_channel(conversations, "handed_off") == {c: want.handed_off.get(c, 0) for c in want.conversations}
    assert per_channel(messages, "messages") == dict(want.messages)
    assert per_channel(messages, "fallbacks") == {c: want.fallbacks.get(c, 0) for c in want.messages}
    assert per_channel(conversations, "ratings") == {c: len(want.ratings.get(c, [])) for c in want.conversations}
    for period, channel, count, handed_off, containment in zip(
        *(conversations.column(name) for name in ("period", "channel", "conversations", "handed_off", "containment")),
        strict=True,
    ):
        assert containment == pytest.approx(1 - handed_off / count, abs=1e-4), (period, channel)
    assert set(conversations.column("channel")) <= {"web", "app", "voice"}
    started = {datetime.fromtimestamp(row[3], UTC).date() for row in tracker_rows() if row[2] == "session_started"}
    assert set(conversations.column("period")) == started and len(started) > 1


async def test_week_totals_equal_day_totals(warehouse: Warehouse) -> None:
    for name, column in (("conversations", "conversations"), ("messages", "fallbacks"), ("intents", "messages")):
        days, weeks = figure(warehouse.db, name, "day", SINCE), figure(warehouse.db, name, "week", SINCE)
        assert sum(weeks.column(column)) == sum(days.column(column)) > 0
    assert set(figure(warehouse.db, "conversations", "week", SINCE).column("period")) == {START.date()}


async def test_since_leaves_earlier_conversations_out(warehouse: Warehouse) -> None:
    later = figure(warehouse.db, "conversations", "day", datetime(START.year, START.month, START.day + 1))
    everything = figure(warehouse.db, "conversations", "day", SINCE)
    assert 0 < sum(later.column("conversations")) < sum(everything.column("conversations"))


async def test_handoff_waits_replies_reasons_and_coupons(warehouse: Warehouse) -> None:
    handoffs = figure(warehouse.db, "handoffs", "day", SINCE)
    rows = {channel: row for channel, row in zip(handoffs.column("channel"), handoffs.rows, strict=True)}
    waits = expected_waits()
    for channel, row in rows.items():
        record = dict(zip(handoffs.columns, row, strict=True))
        assert record["median_wait_s"] == waits[channel]
    web = dict(zip(handoffs.columns, rows["web"], strict=True))
    assert (web["handoffs"], web["taken"], web["median_first_reply_s"]) == (3, 3, 260.0)  # first replies 120, 400
    reasons = figure(warehouse.db, "handoff_reasons", "day", SINCE)
    assert {(r[0], r[1]): r[2] for r in reasons.rows} == {
        ("frustration", "web"): 1,
        ("asked_for_person", "web"): 2,
        ("frustration", "voice"): 1,
    }
    coupons = figure(warehouse.db, "coupons", "day", SINCE)
    assert sum(coupons.column("offered")) == 3 and sum(coupons.column("redeemed")) == 1
    assert sum(coupons.column("redeemed_order_value")) == 40


async def test_recommendation_lists_conversions_and_revenue(warehouse: Warehouse) -> None:
    """Per channel: lists shown (from the conversation id), those personalised, and the clicks,
    purchases and revenue the service attributed to them; the week totals equal the days'."""
    days = figure(warehouse.db, "recommendations", "day", SINCE)
    columns = ("lists_shown", "personalised_lists", "clicks", "purchases", "revenue_influenced")
    found = {channel: tuple(per_channel(days, column)[channel] for column in columns) for channel in REC_EXPECTED}
    assert found == REC_EXPECTED
    assert set(days.column("channel")) == set(REC_EXPECTED)
    weeks = figure(warehouse.db, "recommendations", "week", SINCE)
    assert sum(weeks.column("revenue_influenced")) == sum(days.column("revenue_influenced")) == 75.0
    assert figure(warehouse.db, "recommendations", "day", datetime(2030, 1, 1)).rows == []


async def test_unanswered_messages_are_the_fallback_texts(warehouse: Warehouse) -> None:
    found = unanswered(warehouse.db, SINCE, 100)
    assert dict(zip(found.column("text"), found.column("times"), strict=True)) == dict(
        expected(tracker_rows()).unanswered
    )


async def test_refresh_reads_only_the_new_events(tmp_path: Path) -> None:
    first = tracker_rows(20)
    await fill_stores(urls_for(tmp_path), first)
    warehouse = Warehouse(urls_for(tmp_path))
    try:
        await warehouse.refresh()
        more = tracker_rows(7, first_id=len(first) + 1, prefix="d")
        write(tmp_path / "tracker.db", iter(more))
        await warehouse.refresh()
        total = sum(figure(warehouse.db, "conversations", "day", SINCE).column("conversations"))
        assert total == 27
        assert warehouse.last_event_id == more[-1][0]
    finally:
        await warehouse.aclose()


async def test_events_deleted_in_the_store_leave_the_warehouse(tmp_path: Path) -> None:
    """An erased shopper's conversation (privacy/) or one past retention must not live on in the copy."""
    rows = tracker_rows(20)
    await fill_stores(urls_for(tmp_path), rows)
    warehouse = Warehouse(urls_for(tmp_path))
    try:
        await warehouse.refresh()
        erased = rows[0][1]
        with sqlite3.connect(tmp_path / "tracker.db") as connection:
            connection.execute("DELETE FROM events WHERE sender_id = ?", (erased,))
        await warehouse.refresh()
        total = sum(figure(warehouse.db, "conversations", "day", SINCE).column("conversations"))
        assert total == 19
        left = warehouse.db.execute("SELECT count(*) FROM events WHERE sender_id = ?", [erased]).fetchone()
        assert left == (0,)
    finally:
        await warehouse.aclose()


async def test_stores_that_do_not_exist_yet_are_empty_and_not_created(tmp_path: Path) -> None:
    warehouse = Warehouse(urls_for(tmp_path / "nothing"))
    try:
        await warehouse.refresh()
        assert all(not table.rows for table in figures(warehouse.db, "day", SINCE).values())
    finally:
        await warehouse.aclose()
    assert not (tmp_path / "nothing").exists()
