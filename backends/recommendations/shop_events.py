"""The shop's cart and view events on the event stream (contracts/event_stream.py, `SHOP_EXCHANGE`).

With the stream on (`ASSISTANT_EVENT_BROKER=rabbitmq`), `POST /interactions` stores the interaction and
publishes it; the abandoned-cart detector takes its add-to-cart events from `CARTS_QUEUE`, like any
other consumer would, instead of being called from the request. So a cart event reaches every
consumer that binds a queue (a CRM, a second detector replica: the detector's claim on a cart keeps
the message single), and the detector runs at the stream's pace, not the shop front-end's. With
RabbitMQ unreachable the request does not fail and the cart is not lost: the detector is called
directly, as with the stream off, and the operator gets a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from backends.recommendations.abandoned_carts import AbandonedCarts
from contracts.event_stream import CARTS_QUEUE, SHOP_EXCHANGE, SHOP_INTERACTION
from service_kit.event_stream import StreamConsumer, StreamPublisher, StreamSettings

logger = logging.getLogger(__name__)


def shop_event(interaction: Mapping[str, Any], interaction_id: int, occurred_at: datetime) -> dict[str, Any]:
    """The message of one stored interaction, with its id (consumers recognise a redelivery by it)."""
    return {
        **interaction,
        "event": SHOP_INTERACTION,
        "interaction_id": interaction_id,
        "occurred_at": occurred_at.isoformat(),
    }


def shop_events_publisher(env: Mapping[str, str] | None = None) -> StreamPublisher | None:
    """The publisher of the shop's events, or None when the stream is off."""
    settings = StreamSettings.from_env(env)
    return StreamPublisher(settings, SHOP_EXCHANGE, (CARTS_QUEUE,)) if settings.enabled else None


def carts_consumer(carts: AbandonedCarts, env: Mapping[str, str] | None = None) -> StreamConsumer | None:
    """The detector's consumer of the carts queue, or None when the stream is off."""
    settings = StreamSettings.from_env(env)
    if not settings.enabled:
        return None

    async def watch(event: dict[str, Any]) -> None:
        if event.get("event") != SHOP_INTERACTION or not isinstance(event.get("interaction_id"), int):
            logger.warning("shop events: not an interaction, ignored: %s", str(event)[:200])
            return
        try:
            added_at = datetime.fromisoformat(str(event["occurred_at"]))
        except (KeyError, ValueError):
            logger.warning("shop events: interaction %s without a valid time, ignored", event["interaction_id"])
            return
        await carts.watch(event, event["interaction_id"], added_at)

    return StreamConsumer(settings, CARTS_QUEUE, watch, exchange=SHOP_EXCHANGE)
