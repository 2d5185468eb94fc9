"""The event stream's broker and consumers on this machine: RabbitMQ's start time and memory, how fast events
can be published the way Rasa publishes them, and how fast the consumers take them.

    .venv-services/bin/python -m benchmarks.event_stream [--events 5000]

Starts a throwaway RabbitMQ from Debian's package (tests/support/rabbitmq.py), publishes tracker-event-sized
JSON messages as persistent messages with publisher confirms to the durable fanout exchange (Rasa's
broker creates one task per event, so up to `--in-flight` confirms are awaited at once), then drains
each consumer's queue with the project's `StreamConsumer`: a handler that does nothing (the kit's own
cost), and the analytics writer with one fsync per event and with its group commit (one fsync and one
ack per group), side by side. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aio_pika
import psutil

from analytics.stream_events import StreamWriter
from contracts.event_stream import EXCHANGE
from service_kit.event_stream import GroupCommit, StreamConsumer, StreamSettings, consuming
from tests.support.rabbitmq import RabbitServer, running_rabbitmq

MIB = 1024 * 1024


def broker_rss(server: RabbitServer) -> float:
    """RSS of the node's process tree (the start script, beam.smp and its helpers), in MiB."""
    assert server._process is not None
    root = psutil.Process(server._process.pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / MIB


def event(number: int) -> bytes:
    """About the size of a user event with its parse data (intent ranking, entities)."""
    ranking = [{"name": f"intent_{i}", "confidence": 0.01 * i} for i in range(10)]
    body: dict[str, Any] = {
        "sender_id": f"rest-{number % 500}",
        "event": "user",
        "timestamp": 1_700_000_000 + number / 10,
        "text": "where is my order 104532, it was due yesterday",
        "parse_data": {"intent": {"name": "track_order", "confidence": 0.97}, "intent_ranking": ranking},
        "input_channel": "rest",
    }
    return json.dumps(body).encode()


async def publish(server: RabbitServer, count: int, in_flight: int, queues: list[str]) -> float:
    connection = await aio_pika.connect(server.url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
        for name in queues:
            await (await channel.declare_queue(name, durable=True)).bind(exchange, "")
        started = time.perf_counter()
        for first in range(0, count, in_flight):
            batch = range(first, min(first + in_flight, count))
            await asyncio.gather(
                *(
                    exchange.publish(aio_pika.Message(event(n), delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "")
                    for n in batch
                )
            )
        return time.perf_counter() - started


async def consume(
    server: RabbitServer, queue: str, count: int, handle: Any, group_commit: GroupCommit | None = None
) -> float:
    settings = StreamSettings.from_env(server.broker_variables())
    consumer = StreamConsumer(settings, queue, handle, group_commit=group_commit)
    started = time.perf_counter()
    async with consuming(consumer):
        while consumer.status.consumed < count:
            await asyncio.sleep(0.01)
    return time.perf_counter() - started


async def nothing(_: dict[str, Any]) -> None:
    return None


async def measure(server: RabbitServer, count: int, in_flight: int) -> None:
    print(f"rabbitmq started (AMQP answers) in {server.started_in_s:.2f} s; RSS idle {broker_rss(server):.0f} MiB")
    queues = ["bench.noop", "bench.analytics-each", "bench.analytics-group"]
    seconds = await publish(server, count, in_flight, queues)
    how = f"persistent, confirmed, {in_flight} in flight, {len(queues)} queues"
    print(f"published {count} events ({how}): {count / seconds:,.0f}/s")
    print(f"RSS with {count} events queued {len(queues)} times: {broker_rss(server):.0f} MiB")
    seconds = await consume(server, "bench.noop", count, nothing)
    print(f"consumed by StreamConsumer, no-op handler: {count / seconds:,.0f} events/s")
    with tempfile.TemporaryDirectory() as directory:
        writer = StreamWriter(Path(directory))
        each = GroupCommit(writer.commit, max_events=1)
        seconds = await consume(server, "bench.analytics-each", count, writer.handle, each)
    print(f"consumed by the analytics writer, fsync per event: {count / seconds:,.0f} events/s")
    with tempfile.TemporaryDirectory() as directory:
        writer = StreamWriter(Path(directory))
        group = writer.group_commit()
        seconds = await consume(server, "bench.analytics-group", count, writer.handle, group)
    how = f"up to {group.max_events} events or {group.max_delay_s * 1000:.0f} ms"
    print(f"consumed by the analytics writer, group commit ({how}): {count / seconds:,.0f} events/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--in-flight", type=int, default=50)
    args = parser.parse_args()
    with running_rabbitmq() as server:
        asyncio.run(measure(server, args.events, args.in_flight))


if __name__ == "__main__":
    main()
