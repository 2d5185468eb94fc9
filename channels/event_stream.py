"""Rasa's Pika event broker (RabbitMQ) as the assistant runs it: optional, never in the way of a turn, and
losing no event while RabbitMQ is down.

`bot/endpoints.postgres.yml` names this class as its `event_broker`. Rasa's own `PikaEventBroker`
publishes every tracker event to a fanout exchange (here a durable one, `contracts.event_stream.EXCHANGE`)
with durable queues (one per consumer, declared
when Rasa connects, so nothing is lost before a consumer first starts). Read in Rasa 3.6.21's source
(docs/scaling.md, "The event stream"), it has three gaps this subclass closes:

- **Broker down when Rasa starts**: Rasa tries 20 times 5 s apart while the server loads, then raises
  `ConnectionException`. Here the connection is made in the background; the server starts and answers.
- **Events before the first connection**: Rasa's `_publish` drops them silently (no exchange yet).
- **Events while the broker is down**: Rasa keeps them in a list in memory, gone with the process.

Here an event that cannot be published *now* goes to a SQLite outbox (`contracts.handoff_queue`,
the same durable queue the hand-off relay uses) before `publish` returns, and a background task
sends the outbox in order once RabbitMQ answers again, each message confirmed by the broker
(publisher confirms) before its row is deleted. While the outbox holds anything, new events queue
behind it, so one worker's events keep their order. A Rasa restart during the outage loses nothing
(the file is in `ASSISTANT_VAR`). Delivery is at least once: a confirm lost with the connection
makes the row go again, so consumers deduplicate (`contracts.event_stream.event_key`).

`stream: ${ASSISTANT_EVENT_BROKER}` in the endpoints entry turns it on (`rabbitmq`) or off (`none`,
the default the launcher sets): one endpoints file for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from asyncio import AbstractEventLoop
from pathlib import Path
from typing import Any

import aio_pika
from rasa.core.brokers.pika import PikaEventBroker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from contracts.event_stream import EXCHANGE
from contracts.handoff_queue import DurableQueue

logger = logging.getLogger(__name__)

STREAM_ON = "rabbitmq"
STREAM_OFF = ("", "none", "off")
DEFAULT_RETRY_S = 2.0
PUBLISH_TIMEOUT_S = 5.0
OUTBOX_NAME = "event-outbox.sqlite"
PASSWORD_VARIABLE = "EVENT_BROKER_PASSWORD"


def outbox_path() -> Path:
    """The outbox lives with the rest of the process state (var/ or the launcher's ASSISTANT_VAR)."""
    var = Path(os.environ.get("ASSISTANT_VAR", Path(__file__).resolve().parent.parent / "var"))
    return var / OUTBOX_NAME


def stream_enabled(value: Any) -> bool:
    """`rabbitmq` → on; empty, `none` or `off` → off; anything else is a configuration error said at start-up."""
    name = str(value or "").strip().lower()
    if name in STREAM_OFF:
        return False
    if name != STREAM_ON:
        raise RasaException(f"ASSISTANT_EVENT_BROKER must be `rabbitmq` or `none`, not {value!r}")
    return True


class ShopEventBroker(PikaEventBroker):
    """PikaEventBroker that connects in the background and spills to a durable outbox instead of memory."""

    # Set by Rasa's PikaEventBroker (untyped here: rasa is `Any` to mypy).
    _connection: aio_pika.abc.AbstractRobustConnection | None
    _exchange: aio_pika.abc.AbstractExchange | None

    def __init__(
        self,
        host: str,
        username: str,
        password: str,
        *,
        outbox: Path | None = None,
        retry_s: float = DEFAULT_RETRY_S,
        **kwargs: Any,
    ) -> None:
        # One connection attempt per round: the retries are the background task's, not a blocking loop.
        kwargs.setdefault("connection_attempts", 1)
        kwargs.setdefault("exchange_name", EXCHANGE)
        kwargs.setdefault("retry_delay_in_seconds", 0)
        super().__init__(host, username, password, should_keep_unpublished_messages=False, **kwargs)
        self._outbox = DurableQueue(outbox or outbox_path())
        self._retry_s = retry_s
        self._spilling = bool(self._outbox.pending())  # left by an earlier run: sent before anything new
        self._wake = asyncio.Event()
        self._keeper: asyncio.Task | None = None

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig | None, event_loop: AbstractEventLoop | None = None
    ) -> ShopEventBroker | None:
        if broker_config is None:
            return None
        kwargs = dict(broker_config.kwargs)
        if not stream_enabled(kwargs.pop("stream", STREAM_ON)):
            logger.info("event stream off (ASSISTANT_EVENT_BROKER=none): tracker events are not published")
            return None
        # The password stays out of the endpoints file (and of anything that prints its configuration).
        kwargs.setdefault("password", os.environ.get(PASSWORD_VARIABLE, ""))
        broker = cls(broker_config.url, event_loop=event_loop, **kwargs)
        broker.start()
        return broker

    def start(self) -> None:
        """Starts the background task that connects, reconnects and empties the outbox."""
        if self._keeper is None:
            self._keeper = self._loop.create_task(self._keep_connected())

    async def _set_up_exchange(self, channel: aio_pika.abc.AbstractChannel) -> aio_pika.abc.AbstractExchange:
        """Rasa's declarations with a durable exchange: it and its queue bindings outlive a RabbitMQ restart."""
        exchange = await channel.declare_exchange(self.exchange_name, type=aio_pika.ExchangeType.FANOUT, durable=True)
        for queue in self.queues:
            await self._bind_queue(queue, channel, exchange)
        return exchange

    def is_ready(self) -> bool:
        return self._exchange is not None and super().is_ready()

    def publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Publishes now when connected and nothing waits; otherwise queues the event durably, in order."""
        if self._spilling or not self.is_ready():
            self._spill(event)
            return
        super().publish(event, headers)

    async def _publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        try:
            await self._send(event, headers)
        except Exception as error:  # any failure: the event waits in the outbox
            logger.warning("event broker: publishing failed (%s); the event waits in the outbox", error)
            self._spill(event)

    async def _send(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """One message, confirmed by RabbitMQ (publisher confirms) within PUBLISH_TIMEOUT_S."""
        if self._exchange is None:
            raise ConnectionError("not connected to RabbitMQ")
        await self._exchange.publish(self._message(event, headers), "", timeout=PUBLISH_TIMEOUT_S)

    def _spill(self, event: dict[str, Any]) -> None:
        self._outbox.put(event)
        self._spilling = True
        self._wake.set()

    async def _keep_connected(self) -> None:
        while True:
            try:
                if self._connection is None:
                    await self.connect()
                if self._spilling and self.is_ready():
                    await self._send_outbox()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # unreachable, refused, closed: try again later
                logger.warning("event broker: RabbitMQ at %s:%s unavailable (%s)", self.host, self.port, error)
                await self._drop_connection()
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._retry_s)

    async def _send_outbox(self) -> None:
        """Sends the queued events oldest first; the first failure stops the round and keeps the rest."""
        claimed = self._outbox.claim()
        for index, (row_id, event) in enumerate(claimed):
            try:
                await self._send(event)
            except BaseException as error:
                self._outbox.retry_later(row_id, str(error))
                for later, _ in claimed[index + 1 :]:
                    self._outbox.release(later)
                raise
            self._outbox.done(row_id)
        if not self._outbox.pending():
            self._spilling = False
            logger.info("event broker: outbox sent, publishing directly again")

    async def _drop_connection(self) -> None:
        """After a failed first connect the half-made connection is closed, so the next round starts afresh."""
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None and not connection.is_closed:
            with contextlib.suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        await super().close()
