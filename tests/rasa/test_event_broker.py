"""The event broker Rasa publishes tracker events with (channels/event_stream.py), against a real RabbitMQ.

What Rasa's own PikaEventBroker does not do and ours must: start while RabbitMQ is down, keep the
events published meanwhile (on disk, not in memory), and deliver them in order, each confirmed, once
the broker answers again; also across a restart of the Rasa process during the outage.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from channels.event_stream import ShopEventBroker, stream_enabled
from contracts.event_stream import STREAM_QUEUES
from tests.support.rabbitmq import RabbitServer, drain, running_rabbitmq

QUEUE = STREAM_QUEUES[0]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def rabbit() -> Iterator[RabbitServer]:
    with running_rabbitmq() as server:
        yield server


def endpoint(rabbit: RabbitServer, outbox: Path, stream: str = "rabbitmq") -> EndpointConfig:
    """The entry of bot/endpoints.postgres.yml, with the test broker's address and a short retry."""
    return EndpointConfig(
        url=rabbit.host,
        type="channels.event_stream.ShopEventBroker",
        stream=stream,
        port=rabbit.port,
        username=rabbit.user,
        password=rabbit.password,
        queues=list(STREAM_QUEUES),
        outbox=outbox,
        retry_s=0.2,
    )


@pytest.fixture
async def broker(rabbit: RabbitServer, tmp_path: Path) -> AsyncIterator[ShopEventBroker]:
    created = await ShopEventBroker.from_endpoint_config(endpoint(rabbit, tmp_path / "outbox.sqlite"))
    assert created is not None
    yield created
    await created.close()


def event(number: int) -> dict[str, Any]:
    return {"sender_id": "s1", "event": "user", "text": f"message {number}", "timestamp": 1000.0 + number}


async def until(condition: Any, timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def texts(rabbit: RabbitServer, expect: int, queue: str = QUEUE) -> list[str]:
    return [event["text"] for event in await drain(rabbit, queue, expect)]


async def test_the_endpoints_file_of_the_launcher_starts_it(
    rabbit: RabbitServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bot/endpoints.postgres.yml as Rasa reads it, the password from the environment only."""
    path = REPO / "bot" / "endpoints.postgres.yml"
    for variable in re.findall(r"\$\{(\w+)\}", path.read_text()):
        monkeypatch.setenv(variable, "1")
    settings = {**rabbit.broker_variables(), "ASSISTANT_VAR": str(tmp_path)}
    for variable, value in settings.items():
        monkeypatch.setenv(variable, value)
    assert "password" not in read_endpoint_config(str(path), "event_broker").kwargs
    broker = await EventBroker.create(read_endpoint_config(str(path), "event_broker"))
    assert isinstance(broker, ShopEventBroker)
    try:
        await until(broker.is_ready)
        broker.publish(event(1))
        for queue in STREAM_QUEUES:
            assert await texts(rabbit, 1, queue) == ["message 1"]
    finally:
        await broker.close()


def test_the_switch_reads_rabbitmq_or_none() -> None:
    assert stream_enabled("rabbitmq") and stream_enabled(" RabbitMQ ")
    assert not any(stream_enabled(value) for value in ("", "none", "off", None))
    with pytest.raises(Exception, match="ASSISTANT_EVENT_BROKER"):
        stream_enabled("kafka")


async def test_off_means_no_broker(rabbit: RabbitServer, tmp_path: Path) -> None:
    assert await ShopEventBroker.from_endpoint_config(endpoint(rabbit, tmp_path / "o.sqlite", "none")) is None


async def test_events_reach_every_consumer_queue_in_order(broker: ShopEventBroker, rabbit: RabbitServer) -> None:
    await until(broker.is_ready)
    for number in range(5):
        broker.publish(event(number))
    for queue in STREAM_QUEUES:
        assert await texts(rabbit, 5, queue) == [f"message {n}" for n in range(5)]


async def test_an_outage_loses_nothing_and_keeps_the_order(broker: ShopEventBroker, rabbit: RabbitServer) -> None:
    await until(broker.is_ready)
    broker.publish(event(0))
    assert await texts(rabbit, 1) == ["message 0"]
    rabbit.stop()
    for number in range(1, 6):
        broker.publish(event(number))  # returns at once: a turn never waits for the broker
    await asyncio.sleep(1)
    assert broker._outbox.pending(), "the events wait on disk while RabbitMQ is down"
    rabbit.start()
    await until(lambda: not broker._outbox.pending())
    broker.publish(event(6))
    assert await texts(rabbit, 6) == [f"message {n}" for n in range(1, 7)]


async def test_rasa_starts_while_the_broker_is_down_and_a_restart_keeps_the_outbox(
    rabbit: RabbitServer, tmp_path: Path
) -> None:
    rabbit.stop()
    outbox = tmp_path / "outbox.sqlite"
    first = await asyncio.wait_for(ShopEventBroker.from_endpoint_config(endpoint(rabbit, outbox)), timeout=5)
    assert first is not None and not first.is_ready()
    for number in range(3):
        first.publish(event(number))
    await first.close()  # the Rasa process stops during the outage

    rabbit.start()
    second = await ShopEventBroker.from_endpoint_config(endpoint(rabbit, outbox))
    assert second is not None
    try:
        await until(lambda: not second._outbox.pending())
        second.publish(event(3))
        assert await texts(rabbit, 4) == [f"message {n}" for n in range(4)]
    finally:
        await second.close()
