"""Analytics fed from the event stream (analytics/stream_events.py): the same figures as from the tracker store.

The generated conversations are written once into Rasa's tracker store and once, as the stream's
consumer writes them, into the stream files (with a redelivered event and a line torn by a crash);
the warehouse must derive identical conversations and turns from both. Then the consumer itself
against a real RabbitMQ: an event published to the exchange ends up in the day's file.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aio_pika
import pytest

from analytics.stream_events import StreamWriter, events_from_stream
from analytics.warehouse import Warehouse
from contracts.event_stream import ANALYTICS_QUEUE, EXCHANGE
from service_kit.event_stream import StreamConsumer, StreamSettings, consuming
from tests.analytics.analytics_support import fill_stores, tracker_rows, urls_for
from tests.support.rabbitmq import running_rabbitmq

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


async def test_the_consumer_appends_what_rasa_publishes(tmp_path: Path) -> None:
    with running_rabbitmq() as rabbit:
        settings = StreamSettings.from_env(
            {
                "ASSISTANT_EVENT_BROKER": "rabbitmq",
                "EVENT_BROKER_HOST": rabbit.host,
                "EVENT_BROKER_PORT": str(rabbit.port),
                "EVENT_BROKER_USER": rabbit.user,
                "EVENT_BROKER_PASSWORD": rabbit.password,
            }
        )
        consumer = StreamConsumer(settings, ANALYTICS_QUEUE, StreamWriter(tmp_path).handle)
        async with consuming(consumer):
            for _ in range(200):
                if consumer.status.connected:
                    break
                await asyncio.sleep(0.05)
            connection = await aio_pika.connect(rabbit.url)
            async with connection:
                channel = await connection.channel()
                exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
                body = {"sender_id": "rest-1", "event": "user", "text": "hello", "timestamp": 1.5}
                await exchange.publish(aio_pika.Message(json.dumps(body).encode()), "")
            for _ in range(200):
                if consumer.status.consumed:
                    break
                await asyncio.sleep(0.05)
    (day_file,) = tmp_path.glob("events-*.jsonl")
    (line,) = day_file.read_text().splitlines()
    assert json.loads(line)["event"] == body
