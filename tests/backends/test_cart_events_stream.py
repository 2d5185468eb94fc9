"""The shop's cart events on the event stream (backends/recommendations/shop_events.py), with a real RabbitMQ.

With the stream on, `POST /interactions` publishes the interaction to the shop's exchange and the
abandoned-cart detector takes it from its own queue; with RabbitMQ down the request still succeeds and
the cart is watched directly, with a log line; a redelivered event is watched once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from backends.recommendations.abandoned_carts import AbandonedCart, AbandonedCarts
from backends.recommendations.api import CARTS, SHOP_EVENTS
from backends.recommendations.app import create_app
from backends.recommendations.db import create_tables, make_engine, make_sessions
from backends.recommendations.demo import demo_items
from contracts.event_stream import SHOP_EXCHANGE, SHOP_INTERACTION
from tests.backends.test_abandoned_carts import AUTH, CHAT, TOKEN, Clock, RecordingAssistant, settings
from tests.support.rabbitmq import RabbitServer, running_rabbitmq
from tests.support.servers import free_port


@pytest.fixture(scope="module")
def rabbit() -> Iterator[RabbitServer]:
    with running_rabbitmq() as server:
        yield server


def stream_on(monkeypatch: pytest.MonkeyPatch, rabbit: RabbitServer, port: int | None = None) -> None:
    for name, value in {**rabbit.broker_variables(), "EVENT_BROKER_RETRY_S": "0.2"}.items():
        monkeypatch.setenv(name, value)
    if port is not None:
        monkeypatch.setenv("EVENT_BROKER_PORT", str(port))


async def started(aiohttp_client: Any, tmp_path: Path) -> TestClient:
    app = create_app(
        f"sqlite+aiosqlite:///{tmp_path / 'recs.sqlite'}",
        TOKEN,
        items=demo_items(),
        clock=Clock(),
        carts=settings(),
        assistant=RecordingAssistant(),
    )
    return await aiohttp_client(app)


async def watched(client: TestClient) -> int:
    carts: AbandonedCarts = client.app[CARTS]
    async with carts.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(AbandonedCart)) or 0)


async def until(condition: Any, timeout_s: float = 15) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)


async def add_to_cart(client: TestClient) -> None:
    body = {"customer_id": "C1", "product_id": "aero-12", "type": "add_to_cart", "conversation_id": CHAT}
    response = await client.post("/interactions", json=body, headers=AUTH)
    assert response.status == 201, await response.text()


async def test_a_cart_event_goes_through_the_stream_to_the_detector(
    aiohttp_client: Any, tmp_path: Path, rabbit: RabbitServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream_on(monkeypatch, rabbit)
    connection = await aio_pika.connect(rabbit.url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(SHOP_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
        other = await channel.declare_queue(exclusive=True)  # another consumer of the shop's events
        await other.bind(exchange, "")
        client = await started(aiohttp_client, tmp_path)
        assert SHOP_EVENTS in client.app
        await add_to_cart(client)
        message = await other.get(timeout=10)
        await message.ack()
        event = json.loads(message.body)
        assert event["event"] == SHOP_INTERACTION and event["type"] == "add_to_cart"
        assert event["conversation_id"] == CHAT and isinstance(event["interaction_id"], int)
        # The request published it, so it did not watch the cart itself: the detector's consumer did.
        await until(lambda: _at_least_one(client))
        assert await watched(client) == 1


async def _at_least_one(client: TestClient) -> bool:
    return await watched(client) >= 1


async def test_with_rabbitmq_unreachable_the_cart_is_watched_directly(
    aiohttp_client: Any, tmp_path: Path, rabbit: RabbitServer, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    stream_on(monkeypatch, rabbit, port=free_port())  # nothing listens there
    client = await started(aiohttp_client, tmp_path)
    caplog.set_level(logging.WARNING, logger="service_kit.event_stream")
    began = time.monotonic()
    await add_to_cart(client)
    assert time.monotonic() - began < 3, "the shop front-end must not wait long for the stream"
    assert await watched(client) == 1, "the cart is watched without the stream"
    assert any("event not published" in r.getMessage() for r in caplog.records)


async def test_a_redelivered_cart_event_is_watched_once(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        carts = AbandonedCarts(make_sessions(engine), settings(), RecordingAssistant(), Clock())
        event = {"customer_id": "C1", "product_id": "aero-12", "type": "add_to_cart", "conversation_id": CHAT}
        now = Clock()()
        assert await carts.watch(event, 7, now) is True
        assert await carts.watch(event, 7, now) is False
        async with carts.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(AbandonedCart)) == 1
    finally:
        await engine.dispose()
