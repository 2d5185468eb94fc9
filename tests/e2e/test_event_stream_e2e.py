"""The event stream end to end: Rasa publishes every tracker event to a real RabbitMQ, the recommendations
backend learns from it, and a broker outage costs no answer and no event.

A stack of its own (ASSISTANT_STORE=postgres, ASSISTANT_EVENT_BROKER=rabbitmq) on throwaway PostgreSQL,
Redis and RabbitMQ servers from tests/support. The tests chat over the REST and app channels like
shoppers, then read the events with a real AMQP client from a queue of their own bound to the
exchange (a tap beside the consumers' queues), and look into PostgreSQL and the analytics files.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import aio_pika
import duckdb
import pytest

from analytics.stream_events import stream_relation
from contracts.event_stream import EXCHANGE
from tests.e2e.conftest import BASE_PORT, Stack, production_stores, stack_env, start_stack
from tests.e2e.conversation import Conversation
from tests.e2e.test_identity import fresh_app_chat
from tests.e2e.test_privacy_e2e import privacy_command
from tests.support.postgres import PostgresServer, running_postgres
from tests.support.rabbitmq import RabbitServer, drain, running_rabbitmq
from tests.support.redis import running_redis

TAP_QUEUE = "e2e.tap"
SAFE_ID = re.compile(r"^[a-zA-Z0-9._-]+$")  # ids that go into SQL text below: only ours


@dataclass
class StreamStack:
    stack: Stack
    pg: PostgresServer
    rabbit: RabbitServer
    tracker_db: str
    recs_db: str

    def stored_events(self, sender: str) -> list[tuple[str, float]]:
        """(type, timestamp) of the sender's events in Rasa's tracker store."""
        assert SAFE_ID.match(sender), sender
        rows = self.pg.psql(
            f"SELECT type_name, timestamp FROM events WHERE sender_id = '{sender}' ORDER BY id",
            database=self.tracker_db,
        )
        return [(kind, float(stamp)) for kind, stamp in (line.split("|") for line in rows.splitlines() if line)]

    def streamed(self, sender: str, expect: int) -> list[dict[str, Any]]:
        """The sender's events taken from the tap queue (others' are taken too and dropped)."""
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while len(found) < expect and time.monotonic() < deadline:
            events = asyncio.run(drain(self.rabbit, TAP_QUEUE, expect=1, timeout_s=5))
            found += [event for event in events if event.get("sender_id") == sender]
        return found

    def views(self, customer_id: str) -> list[str]:
        assert SAFE_ID.match(customer_id), customer_id
        rows = self.pg.psql(
            f"SELECT product_id FROM rec_interactions WHERE customer_id = '{customer_id}' AND kind = 'view' "
            "ORDER BY id",
            database=self.recs_db,
        )
        return rows.splitlines()


@pytest.fixture(scope="module")
def streaming(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamStack]:
    with ExitStack() as resources:
        pg = resources.enter_context(running_postgres())
        redis = resources.enter_context(running_redis())
        rabbit = resources.enter_context(running_rabbitmq())
        stores = production_stores(pg, redis)
        recs_url = pg.create_database("recommendations")
        var = tmp_path_factory.mktemp("stream-stack")
        env = stack_env(
            var,
            port_offset=1500,
            **stores,
            ASSISTANT_EVENT_BROKER="rabbitmq",
            EVENT_BROKER_HOST=rabbit.host,
            EVENT_BROKER_PORT=str(rabbit.port),
            EVENT_BROKER_USER=rabbit.user,
            EVENT_BROKER_PASSWORD=rabbit.password,
            EVENT_BROKER_RETRY_S="0.5",
            RECS_DB_URL=recs_url,
            ANALYTICS_STREAM_PORT=str(BASE_PORT + 1500 + 109),
            # The demo shop's shoppers have said yes to personalisation (contracts/consent.py).
            PERSONALISATION_CONSENT_DEFAULT="granted",
        )
        stack = start_stack(var, env)
        resources.callback(stack.launcher, "stop")  # registered last: runs before the servers stop
        asyncio.run(tap(rabbit))
        yield StreamStack(stack, pg, rabbit, stores["TRACKER_PG_DB"], recs_url.rsplit("/", 1)[1])


async def tap(rabbit: RabbitServer) -> None:
    """A durable queue of the test's own on the exchange Rasa declared when it connected."""
    connection = await aio_pika.connect(rabbit.url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True, passive=True)
        queue = await channel.declare_queue(TAP_QUEUE, durable=True)
        await queue.bind(exchange, "")


def test_every_stored_tracker_event_is_published(streaming: StreamStack) -> None:
    chat = Conversation(streaming.stack.rasa_url)
    assert chat.say("what is your refund policy?")
    stored = streaming.stored_events(chat.sender)
    assert [kind for kind, _ in stored].count("user") == 1, stored
    streamed = streaming.streamed(chat.sender, expect=len(stored))
    assert [(e["event"], e["timestamp"]) for e in streamed] == [(k, pytest.approx(t)) for k, t in stored]
    (user,) = [event for event in streamed if event["event"] == "user"]
    assert user["text"] == "what is your refund policy?" and user["parse_data"]["intent"]["name"]


def test_the_recommendations_backend_learns_a_customers_product_views(streaming: StreamStack) -> None:
    chat = fresh_app_chat(streaming.stack, "C-STREAM-1")
    assert "fleece" in chat.say("tell me about the Trailhead Fleece Jacket").lower()
    deadline = time.monotonic() + 30
    while not streaming.views("C-STREAM-1") and time.monotonic() < deadline:
        time.sleep(0.2)
    (viewed,) = streaming.views("C-STREAM-1")
    assert "fleece" in viewed


def test_rasa_answers_while_the_broker_is_down_and_the_events_follow(streaming: StreamStack) -> None:
    streaming.rabbit.stop()
    try:
        chat = Conversation(streaming.stack.rasa_url)
        started = time.monotonic()
        assert chat.say("what delivery options do you have?")
        assert time.monotonic() - started < 10, "a turn does not wait for the broker"
        stored = streaming.stored_events(chat.sender)
    finally:
        streaming.rabbit.start()
    streamed = streaming.streamed(chat.sender, expect=len(stored))
    assert [(e["event"], e["timestamp"]) for e in streamed] == [(k, pytest.approx(t)) for k, t in stored]


def test_the_analytics_consumer_keeps_the_conversation_for_the_warehouse(streaming: StreamStack) -> None:
    chat = Conversation(streaming.stack.rasa_url)
    assert chat.say("what payment methods do you accept?")
    assert SAFE_ID.match(chat.sender), chat.sender
    directory = streaming.stack.var / "analytics-stream"
    texts: list[str] = []
    deadline = time.monotonic() + 30
    while "what payment methods do you accept?" not in texts and time.monotonic() < deadline:
        time.sleep(0.3)
        rows = stream_relation(duckdb.connect(), directory)
        found = [] if rows is None else rows.filter(f"sender_id = '{chat.sender}'").fetchall()
        texts = [json.loads(data).get("text") for *_, data in found]
    assert "what payment methods do you accept?" in texts


def test_a_shoppers_erasure_reaches_the_analytics_copy(streaming: StreamStack) -> None:
    """The analytics files hold what shoppers wrote: `python -m privacy erase` removes it there too."""
    email = "stream.erasure@example.com"
    chat = Conversation(streaming.stack.rasa_url)
    assert chat.say(f"please send the invoice to {email}")
    other = Conversation(streaming.stack.rasa_url)
    assert other.say("what payment methods do you accept?")
    directory = streaming.stack.var / "analytics-stream"

    def senders() -> set[str]:
        rows = stream_relation(duckdb.connect(), directory)
        return set() if rows is None else {sender for (sender,) in rows.project("sender_id").fetchall()}

    deadline = time.monotonic() + 30
    while not {chat.sender, other.sender} <= senders() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert {chat.sender, other.sender} <= senders()

    exported = privacy_command(streaming.stack, "export", "--email", email)
    assert exported["stores"]["analytics_stream"]["events"] > 0
    erased = privacy_command(streaming.stack, "erase", "--email", email)
    assert erased["stores"]["analytics_stream"]["deleted"]["events"] == exported["stores"]["analytics_stream"]["events"]
    assert chat.sender not in senders() and other.sender in senders()
    assert not any(email in path.read_text(encoding="utf-8") for path in directory.glob("events-*.jsonl"))
