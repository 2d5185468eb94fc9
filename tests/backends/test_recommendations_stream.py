"""The recommendations backend's consumer of the event stream (backends/recommendations/stream.py) and the
consumer kit under it (service_kit/event_stream.py), on SQLite and against a real RabbitMQ.

Who is learned from (an app customer in their own app conversation, with consent), that a redelivered
event changes nothing, that a message is acknowledged only after its interaction was committed, and
that a message that is not an event is set aside instead of blocking the queue.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backends.recommendations import privacy
from backends.recommendations.db import create_tables, make_engine, make_sessions
from backends.recommendations.stream import VIEW_SLOT, StreamLearner, stream_consumer
from backends.recommendations.tables import Interaction
from contracts.event_stream import EXCHANGE, RECOMMENDATIONS_QUEUE
from contracts.identity import sender_id_for
from contracts.privacy import Subject
from service_kit.event_stream import StreamConsumer, StreamSettings, consuming
from tests.support.rabbitmq import RabbitServer, running_rabbitmq

KEY = "app-sender-key"
CUSTOMER = "C42"
SENDER = sender_id_for(CUSTOMER, KEY)
ENV = {"APP_JWT_SECRET": KEY}


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'recs.sqlite'}")
    await create_tables(engine)
    yield make_sessions(engine)
    await engine.dispose()


def user(sender: str = SENDER, channel: str = "app", **metadata: Any) -> dict[str, Any]:
    metadata.setdefault("customer_id", CUSTOMER)
    return {"event": "user", "sender_id": sender, "input_channel": channel, "metadata": metadata, "timestamp": 1.0}


def viewed(product: str, sender: str = SENDER, at: float = 2.0) -> dict[str, Any]:
    return {"event": "slot", "sender_id": sender, "name": VIEW_SLOT, "value": product, "timestamp": at}


async def views(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(select(Interaction.customer_id, Interaction.product_id).order_by(Interaction.id))
        return [(customer, product) for customer, product in rows.all()]


async def test_an_app_customers_product_answer_becomes_a_view_once(sessions: async_sessionmaker) -> None:
    learner = StreamLearner(sessions, {**ENV, "PERSONALISATION_CONSENT_DEFAULT": "granted"})
    for event in (user(), viewed("trail-fleece"), viewed("trail-fleece"), viewed("summit-down", at=3.0)):
        await learner.handle(event)
    assert await views(sessions) == [(CUSTOMER, "trail-fleece"), (CUSTOMER, "summit-down")]


@pytest.mark.parametrize(
    ("first", "why"),
    [
        (user(channel="rest"), "a customer id is only the app channel's"),
        (user(sender="app-someone-else"), "only in the conversation derived from that customer"),
        (user(personalisation_consent=False), "the customer said no"),
        (user(), "nobody said yes and the shop's default is no"),
    ],
)
async def test_nobody_else_is_learned_from(sessions: async_sessionmaker, first: dict[str, Any], why: str) -> None:
    learner = StreamLearner(sessions, ENV)
    await learner.handle(first)
    await learner.handle(viewed("trail-fleece", sender=first["sender_id"]))
    assert await views(sessions) == [], why


async def test_a_later_no_stops_learning(sessions: async_sessionmaker) -> None:
    learner = StreamLearner(sessions, ENV)
    await learner.handle(user(personalisation_consent=True))
    await learner.handle(viewed("a"))
    await learner.handle({**user(personalisation_consent="denied"), "timestamp": 3.0})
    await learner.handle(viewed("b", at=4.0))
    assert await views(sessions) == [(CUSTOMER, "a")]


@pytest.fixture
def rabbit() -> Iterator[RabbitServer]:
    with running_rabbitmq() as server:
        yield server


def settings_for(rabbit: RabbitServer) -> StreamSettings:
    return StreamSettings.from_env({**rabbit.broker_variables(), "EVENT_BROKER_RETRY_S": "0.2"})


async def publish(rabbit: RabbitServer, *bodies: bytes) -> None:
    """As Rasa does: persistent messages to the fanout exchange."""
    connection = await aio_pika.connect(rabbit.url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
        for body in bodies:
            await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "")


async def until(condition: Any, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def test_the_consumer_is_off_unless_the_stream_is(sessions: async_sessionmaker) -> None:
    assert stream_consumer(sessions, {}) is None
    assert stream_consumer(sessions, {"ASSISTANT_EVENT_BROKER": "rabbitmq"}) is not None


async def test_messages_are_acked_only_after_the_handler_committed(rabbit: RabbitServer) -> None:
    taken: list[str] = []
    failures = {"left": 2}

    async def handle(event: dict[str, Any]) -> None:
        if event["text"] == "b" and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database down")
        taken.append(event["text"])

    consumer = StreamConsumer(settings_for(rabbit), RECOMMENDATIONS_QUEUE, handle)
    async with consuming(consumer):
        await until(lambda: consumer.status.connected)
        await publish(rabbit, b'{"text": "a"}', b"not json", b'{"text": "b"}', b'{"text": "c"}')
        await until(lambda: consumer.status.consumed == 3)
    assert taken == ["a", "b", "c"], "b was tried three times, and c waited for it"
    assert failures["left"] == 0


async def test_a_consumer_started_after_a_broker_outage_gets_what_was_published(
    rabbit: RabbitServer, sessions: async_sessionmaker
) -> None:
    consumer = StreamConsumer(settings_for(rabbit), RECOMMENDATIONS_QUEUE, StreamLearner(sessions, ENV).handle)
    async with consuming(consumer):
        await until(lambda: consumer.status.connected)
    rabbit.stop()
    rabbit.start()  # the queue is durable and the messages persistent: they outlive a broker restart
    await publish(rabbit, *(json.dumps(e).encode() for e in (user(personalisation_consent=True), viewed("x"))))
    rabbit.stop()
    rabbit.start()
    async with consuming(consumer):
        await until(lambda: consumer.status.consumed == 2)
    assert await views(sessions) == [(CUSTOMER, "x")]


async def test_a_data_subject_request_finds_and_erases_what_the_stream_taught(sessions: async_sessionmaker) -> None:
    learner = StreamLearner(sessions, {**ENV, "PERSONALISATION_CONSENT_DEFAULT": "granted"})
    await learner.handle(user())
    await learner.handle(viewed("trail-fleece"))
    async with sessions() as session, session.begin():
        subject = await privacy.conversations(session, Subject.named(customer_id=CUSTOMER))
        assert SENDER in subject.conversation_ids, "the stream links the app conversation to the customer"
        document = await privacy.export(session, subject)
        assert [row["customer_id"] for row in document["stream_conversations"]] == [CUSTOMER]
        assert len(document["interactions"]) == 1
        erased = await privacy.erase(session, subject)
    assert erased.deleted == {"interactions": 1, "stream_conversations": 1}
    async with sessions() as session:
        assert "stream_conversations" not in await privacy.export(session, subject)
