"""Analytics fed from the event stream (analytics/stream_events.py): the same figures as from the tracker store.

The generated conversations are written once into Rasa's tracker store and once, as the stream's
consumer writes them, into the stream files (with a redelivered event and a line torn by a crash);
the warehouse must derive identical conversations and turns from both. Then the consumer itself
against a real RabbitMQ: events published to the exchange end up in the day's file, acknowledged only
after the group commit that put them on disk.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from analytics.stream_events import StreamWriter, events_from_stream
from analytics.warehouse import Warehouse
from contracts.event_stream import ANALYTICS_QUEUE, EXCHANGE
from service_kit.event_stream import GroupCommit, StreamConsumer, StreamSettings, consuming
from tests.analytics.analytics_support import fill_stores, tracker_rows, urls_for
from tests.support.rabbitmq import RabbitServer, running_rabbitmq

DERIVED = (
    "SELECT sender_id, session, started_at, channel, user_turns, handed_off, satisfaction "
    "FROM conversations ORDER BY ALL",
    "SELECT sender_id, session, happened_at, text, intent, frustration, channel, fallback FROM turns ORDER BY ALL",
)


async def derived(warehouse: Warehouse) -> list[list[tuple]]:
    try:
        await warehouse.refresh()
        return [warehouse.db.execute(query).fetchall() for query in DERIVED]
    finally:
        await warehouse.aclose()


def test_the_source_is_the_tracker_store_unless_stream_is_chosen(tmp_path: Path) -> None:
    assert events_from_stream({}) is None
    assert events_from_stream({"ANALYTICS_EVENTS": "stream", "ASSISTANT_VAR": str(tmp_path)}) == (
        tmp_path / "analytics-stream"
    )
    with pytest.raises(ValueError, match="ANALYTICS_EVENTS"):
        events_from_stream({"ANALYTICS_EVENTS": "kafka"})


async def test_the_stream_files_give_the_tracker_stores_figures(tmp_path: Path) -> None:
    rows = tracker_rows()
    urls = urls_for(tmp_path)
    await fill_stores(urls, rows)
    stream = tmp_path / "stream"
    writer = StreamWriter(stream)
    events = [{"sender_id": sender, **json.loads(data)} for _, sender, _, _, _, _, data in rows]
    for event in events:
        await writer.handle(event)
    await writer.handle(next(e for e in events if e["event"] == "user"))  # redelivered after a consumer restart
    (day_file,) = stream.glob("events-*.jsonl")
    with day_file.open("a") as out:
        out.write('{"key": "torn", "event": {"sender_id": "x", "ev')  # the consumer died mid-line

    from_tracker = await derived(Warehouse(urls, events_dir=None))
    from_stream = await derived(Warehouse(urls, events_dir=stream))
    assert from_tracker[0] and from_tracker[1], "the generated conversations give figures"
    assert from_stream == from_tracker


def stream_settings(rabbit: RabbitServer) -> StreamSettings:
    return StreamSettings.from_env({**rabbit.broker_variables(), "EVENT_BROKER_RETRY_S": "0.2"})


async def publish(rabbit: RabbitServer, events: list[dict[str, Any]]) -> None:
    connection = await aio_pika.connect(rabbit.url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
        for body in events:
            await exchange.publish(aio_pika.Message(json.dumps(body).encode()), "")


async def waiting_in_queue(rabbit: RabbitServer) -> int:
    """Messages the analytics queue still holds (ready, i.e. never acknowledged), once no consumer has them."""
    connection = await aio_pika.connect(rabbit.url)
    async with connection:
        queue = await (await connection.channel()).declare_queue(ANALYTICS_QUEUE, durable=True, passive=True)
        count = queue.declaration_result.message_count
        assert count is not None
        return count


async def until(condition: Callable[[], bool], timeout_s: float = 15) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


def user_events(count: int) -> list[dict[str, Any]]:
    return [{"sender_id": f"rest-{n % 7}", "event": "user", "text": f"hello {n}", "timestamp": n} for n in range(count)]


async def test_the_consumer_appends_what_rasa_publishes_committing_in_groups(tmp_path: Path) -> None:
    """As the launcher runs it: every event in the day's file once, acknowledged only after a commit
    (an fsync) that covers many events."""
    writer = StreamWriter(tmp_path)
    commits = 0

    async def counted_commit() -> None:
        nonlocal commits
        commits += 1
        await writer.commit()

    events = user_events(300)
    with running_rabbitmq() as rabbit:
        consumer = StreamConsumer(
            stream_settings(rabbit), ANALYTICS_QUEUE, writer.handle, group_commit=GroupCommit(counted_commit)
        )
        async with consuming(consumer):
            await until(lambda: consumer.status.connected)
            await publish(rabbit, events)
            await until(lambda: consumer.status.consumed == len(events))
        assert consumer.status.consumed == len(events)
        assert await waiting_in_queue(rabbit) == 0, "every event was acknowledged"
    (day_file,) = tmp_path.glob("events-*.jsonl")
    assert [json.loads(line)["event"] for line in day_file.read_text().splitlines()] == events
    assert 2 <= commits < len(events) / 10, f"{commits} commits for {len(events)} events"


async def test_nothing_is_acknowledged_while_the_commit_fails(tmp_path: Path) -> None:
    writer = StreamWriter(tmp_path)

    async def failing_commit() -> None:
        raise OSError(28, "No space left on device")

    events = user_events(20)
    with running_rabbitmq() as rabbit:
        consumer = StreamConsumer(
            stream_settings(rabbit), ANALYTICS_QUEUE, writer.handle, group_commit=GroupCommit(failing_commit)
        )
        async with consuming(consumer):
            await until(lambda: consumer.status.connected)
            await publish(rabbit, events)
            await until(lambda: "No space left" in (consumer.status.last_error or ""))
            await asyncio.sleep(0.5)
            assert consumer.status.consumed == 0
        assert "No space left" in (consumer.status.last_error or "")
        assert await waiting_in_queue(rabbit) == len(events), "an event was acknowledged before it was on disk"
