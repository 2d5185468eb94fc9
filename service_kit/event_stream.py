"""A consumer of Rasa's event stream (RabbitMQ), for any service that learns from the conversations.

Rasa publishes every tracker event to the fanout exchange of `contracts/event_stream.py`; each consumer
reads its own durable queue. `StreamConsumer` reads one queue in order and acknowledges a message
only after the handler returned, i.e. after the handler committed what it made of the event: a
consumer that dies in between gets the message again (at least once), so handlers are idempotent.
A message that is not JSON is set aside with a log line (rejected, not requeued). A handler that fails
(its database down) is called again with the same event every `retry_s` until it succeeds: a message
sent back to the queue would be overtaken by the ones already prefetched behind it, and handlers rely
on a conversation's order (so a handler ignores an event it cannot use, and raises only for a
passing fault). RabbitMQ down: it reconnects every `retry_s`, forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aio_pika
from pydantic import Field, SecretStr

from contracts.event_stream import EXCHANGE
from settings_kit.settings import ServiceSettings

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class StreamSettings(ServiceSettings):
    """The broker's address and the on/off switch: the variables Rasa's side reads too (docs/scaling.md)."""

    broker: str = Field(default="none", validation_alias="ASSISTANT_EVENT_BROKER")
    host: str = Field(default="localhost", validation_alias="EVENT_BROKER_HOST")
    port: int = Field(default=5672, ge=1, le=65535, validation_alias="EVENT_BROKER_PORT")
    user: str = Field(default="assistant", validation_alias="EVENT_BROKER_USER")
    password: SecretStr = Field(default=SecretStr(""), validation_alias="EVENT_BROKER_PASSWORD")
    retry_s: float = Field(default=2.0, gt=0, validation_alias="EVENT_BROKER_RETRY_S")

    @property
    def enabled(self) -> bool:
        return self.broker.strip().lower() == "rabbitmq"


@dataclass
class StreamStatus:
    """What `/health` shows about a consumer."""

    queue: str
    connected: bool = False
    consumed: int = 0
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"queue": self.queue, "connected": self.connected, "consumed": self.consumed, "error": self.last_error}


class StreamConsumer:
    """Reads one durable queue bound to Rasa's exchange and hands each event to `handle`, acking after it."""

    def __init__(self, settings: StreamSettings, queue: str, handle: Handler, prefetch: int = 16) -> None:
        self.settings = settings
        self.handle = handle
        self.prefetch = prefetch
        self.status = StreamStatus(queue)

    async def run(self) -> None:
        """Consumes until cancelled; every connection failure is logged and retried."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # unreachable, refused, closed mid-way: try again
                self.status.connected = False
                self.status.last_error = str(error) or type(error).__name__
                logger.warning("event stream %s: RabbitMQ unavailable (%s)", self.status.queue, self.status.last_error)
            await asyncio.sleep(self.settings.retry_s)

    async def _consume(self) -> None:
        settings = self.settings
        connection = await aio_pika.connect(
            host=settings.host,
            port=settings.port,
            login=settings.user,
            password=settings.password.get_secret_value(),
            timeout=10,
        )
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self.prefetch)
            # The same declarations as Rasa's PikaEventBroker, so whichever side comes first creates them.
            exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)
            queue = await channel.declare_queue(self.status.queue, durable=True)
            await queue.bind(exchange, "")
            self.status.connected, self.status.last_error = True, None
            logger.info("event stream %s: consuming from %s:%s", self.status.queue, settings.host, settings.port)
            async with queue.iterator() as messages:
                async for message in messages:
                    await self._deliver(message)
        self.status.connected = False

    async def _deliver(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            event = json.loads(message.body)
            if not isinstance(event, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            logger.error("event stream %s: message set aside, not an event (%s)", self.status.queue, error)
            await message.reject(requeue=False)
            return
        while True:
            try:
                await self.handle(event)
                break
            except Exception as error:
                # Not back to the queue: the messages prefetched behind it would overtake it.
                self.status.last_error = str(error) or type(error).__name__
                logger.warning("event stream %s: event not taken, trying again (%s)", self.status.queue, error)
                await asyncio.sleep(self.settings.retry_s)
        await message.ack()
        self.status.consumed += 1


@contextlib.asynccontextmanager
async def consuming(consumer: StreamConsumer | None) -> Any:
    """Runs the consumer as a task for the duration of the block (nothing when it is None, i.e. off)."""
    task = asyncio.create_task(consumer.run()) if consumer is not None else None
    try:
        yield task
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
