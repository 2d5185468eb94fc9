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

`StreamPublisher` is the other end for a service that publishes events of its own (the shop's cart
events): persistent messages with publisher confirms, the consumers' queues declared with the
exchange so nothing is published into the void. RabbitMQ down: `publish` says False within
`publish_timeout_s` and tries to connect again only after `retry_s`, so the caller can do the work
itself instead and no request waits long.

A handler whose commit is costly (an fsync) can commit in groups (`GroupCommit`): `handle` only
writes, and every `max_events` events or `max_delay_s` seconds the consumer calls `commit` and then
acknowledges everything up to the last event handled in one `ack(multiple=True)`. The guarantee is
the same (nothing is acknowledged before it is committed); a crash redelivers up to one group.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aio_pika
from pydantic import Field, SecretStr

from contracts.event_stream import EXCHANGE
from settings_kit.settings import ServiceSettings

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class GroupCommit:
    """Commit (and acknowledge) after `max_events` handled events or `max_delay_s`, whichever comes first."""

    commit: Callable[[], Awaitable[None]]
    max_events: int = 256
    max_delay_s: float = 0.05


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

    async def connect(self, timeout_s: float) -> aio_pika.abc.AbstractConnection:
        """A connection to the broker these settings name (the consumer's and the publisher's)."""
        return await aio_pika.connect(
            host=self.host,
            port=self.port,
            login=self.user,
            password=self.password.get_secret_value(),
            timeout=timeout_s,
        )


async def declare_fanout(channel: aio_pika.abc.AbstractChannel, name: str) -> aio_pika.abc.AbstractExchange:
    """The durable fanout exchange every side declares alike (Rasa's broker too), whichever comes first."""
    return await channel.declare_exchange(name, aio_pika.ExchangeType.FANOUT, durable=True)


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

    def __init__(
        self,
        settings: StreamSettings,
        queue: str,
        handle: Handler,
        prefetch: int = 16,
        group_commit: GroupCommit | None = None,
        exchange: str = EXCHANGE,
    ) -> None:
        self.settings = settings
        self.exchange = exchange
        self.handle = handle
        self.group = group_commit
        # The broker stops delivering at `prefetch` unacknowledged messages: a group must fit in it.
        self.prefetch = max(prefetch, group_commit.max_events) if group_commit else prefetch
        self.status = StreamStatus(queue)
        self._handled: list[aio_pika.abc.AbstractIncomingMessage] = []  # handled, not yet committed
        self._commit_lock = asyncio.Lock()

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
        connection = await settings.connect(timeout_s=10)
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self.prefetch)
            # The same declarations as Rasa's PikaEventBroker, so whichever side comes first creates them.
            exchange = await declare_fanout(channel, self.exchange)
            queue = await channel.declare_queue(self.status.queue, durable=True)
            await queue.bind(exchange, "")
            self.status.connected, self.status.last_error = True, None
            logger.info("event stream %s: consuming from %s:%s", self.status.queue, settings.host, settings.port)
            self._handled = []  # a new channel: what the old one had not acknowledged comes again
            async with queue.iterator() as messages, self._committing_periodically():
                async for message in messages:
                    await self._deliver(message)
        self.status.connected = False

    @contextlib.asynccontextmanager
    async def _committing_periodically(self) -> Any:
        """With group commit, commits what was handled every `max_delay_s` even when no more events come."""
        group = self.group
        if group is None:
            yield
            return

        async def tick() -> None:
            while True:
                await asyncio.sleep(group.max_delay_s)
                await self._commit_handled()

        async with consuming_task(tick()):
            yield

    async def _commit_handled(self) -> None:
        """Commits, then acknowledges every message handled so far with one `multiple` ack."""
        assert self.group is not None
        async with self._commit_lock:
            handled, self._handled = self._handled, []
            if not handled:
                return
            await self._retrying(self.group.commit, "events not committed")
            await handled[-1].ack(multiple=True)
            self.status.consumed += len(handled)

    async def _deliver(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            event = json.loads(message.body)
            if not isinstance(event, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            logger.error("event stream %s: message set aside, not an event (%s)", self.status.queue, error)
            await message.reject(requeue=False)
            return
        await self._retrying(lambda: self.handle(event), "event not taken")
        if self.group is None:
            await message.ack()
            self.status.consumed += 1
            return
        self._handled.append(message)
        if len(self._handled) >= self.group.max_events:
            await self._commit_handled()

    async def _retrying(self, step: Callable[[], Awaitable[None]], what: str) -> None:
        """Runs `step` until it succeeds. Not back to the queue: the messages prefetched behind would overtake it."""
        while True:
            try:
                await step()
                return
            except Exception as error:
                self.status.last_error = str(error) or type(error).__name__
                logger.warning("event stream %s: %s, trying again (%s)", self.status.queue, what, error)
                await asyncio.sleep(self.settings.retry_s)


class StreamPublisher:
    """Publishes JSON events to one durable fanout exchange whose consumers' queues it declares too."""

    def __init__(
        self, settings: StreamSettings, exchange: str, queues: tuple[str, ...], publish_timeout_s: float = 2.0
    ) -> None:
        self.settings, self.exchange_name, self.queues = settings, exchange, queues
        self.publish_timeout_s = publish_timeout_s
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._not_before = 0.0  # after a failure: no new connection attempt before this (event-loop time)
        self._lock = asyncio.Lock()

    async def publish(self, event: dict[str, Any]) -> bool:
        """True once RabbitMQ confirmed the message; False (and a log line) when it could not take it."""
        body = json.dumps(event, separators=(",", ":"), default=str).encode()
        persistent = aio_pika.DeliveryMode.PERSISTENT
        message = aio_pika.Message(body, content_type="application/json", delivery_mode=persistent)
        try:
            exchange = await asyncio.wait_for(self._exchange_ready(), self.publish_timeout_s)
            if exchange is None:
                return False
            await asyncio.wait_for(exchange.publish(message, routing_key=""), self.publish_timeout_s)
        except Exception as error:  # unreachable, refused, closed, no confirm in time
            reason = str(error) or type(error).__name__
            logger.warning("event stream %s: event not published (%s)", self.exchange_name, reason)
            await self._forget()
            return False
        return True

    async def _exchange_ready(self) -> aio_pika.abc.AbstractExchange | None:
        async with self._lock:
            if self._exchange is not None and self._connection is not None and not self._connection.is_closed:
                return self._exchange
            if asyncio.get_running_loop().time() < self._not_before:
                return None  # failed a moment ago: the caller does without the stream for now
            settings = self.settings
            self._connection = await settings.connect(self.publish_timeout_s)
            channel = await self._connection.channel()  # publisher confirms are on by default
            exchange = await declare_fanout(channel, self.exchange_name)
            for name in self.queues:
                await (await channel.declare_queue(name, durable=True)).bind(exchange, "")
            self._exchange = exchange
            logger.info("event stream %s: publishing to %s:%s", self.exchange_name, settings.host, settings.port)
            return exchange

    async def _forget(self) -> None:
        async with self._lock:
            self._exchange = None
            self._not_before = asyncio.get_running_loop().time() + self.settings.retry_s
            connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        await self._forget()


@contextlib.asynccontextmanager
async def consuming_task(work: Coroutine[Any, Any, None] | None) -> Any:
    """Runs `work` as a task for the duration of the block and cancels it at the end."""
    task = asyncio.create_task(work) if work is not None else None
    try:
        yield task
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def consuming(consumer: StreamConsumer | None) -> contextlib.AbstractAsyncContextManager[Any]:
    """Runs the consumer as a task for the duration of the block (nothing when it is None, i.e. off)."""
    return consuming_task(consumer.run() if consumer is not None else None)
