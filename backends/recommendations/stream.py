"""The recommendations backend learns from the conversations: product views from Rasa's event stream.

Whenever the assistant answers about a product, the action server sets the slot
`knowledge_base_last_object` to its id (actions/products/context.py); on the stream that is a `slot`
event. For a logged-in app customer who consented to personalisation, such an event becomes a `view`
interaction (weight 1, docs/recommendations-backend.md), so what they asked about in the chat shapes
their next recommendations like a product page they opened. Nobody else is learned from: an
anonymous visitor has no customer id, and without consent a customer's history is not used
(contracts/consent.py).

Who the shopper is comes from the conversation's `user` events, checked as the action server checks
it (actions/identity.py): a `customer_id` in the metadata counts only on the app channel, in the
conversation derived from that customer (`contracts.identity.sender_id_for`). The newest user event
with an identity or a consent flag is kept per conversation in `rec_stream_shoppers`, so a consumer
restart forgets nothing. Redelivered events change nothing: a view is stored with the event's own
time, and one that is already there (same customer, product, conversation and time) is not stored
again; the check and the insert are one transaction, acknowledged after commit.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from backends.recommendations.tables import Base, Interaction
from contracts.consent import consent_of, default_consent
from contracts.event_stream import RECOMMENDATIONS_QUEUE
from contracts.identity import APP_CHANNEL, CUSTOMER_ID_KEY, sender_id_for
from service_kit.event_stream import StreamConsumer, StreamSettings

logger = logging.getLogger(__name__)

VIEW_SLOT = "knowledge_base_last_object"  # rasa-sdk's SLOT_LAST_OBJECT: the product the answer was about
MAX_ID = 64  # rec_interactions.customer_id / conversation_id
MAX_PRODUCT_ID = 128  # rec_interactions.product_id


class StreamShopper(Base):
    """The identity and consent a conversation's messages last carried (app channel only)."""

    __tablename__ = "rec_stream_shoppers"

    sender_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(MAX_ID), nullable=True)
    consent: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def event_time(event: Mapping[str, Any]) -> datetime:
    stamp = event.get("timestamp")
    return datetime.fromtimestamp(float(stamp), UTC) if isinstance(stamp, int | float) else datetime.now(UTC)


def verified_customer(event: Mapping[str, Any], sender_key: str) -> str | None:
    """The app customer of a `user` event, only where the app channel could have written it."""
    metadata = event.get("metadata")
    customer = metadata.get(CUSTOMER_ID_KEY) if isinstance(metadata, Mapping) else None
    if not isinstance(customer, str) or not customer or len(customer) > MAX_ID or not sender_key:
        return None
    if event.get("input_channel") != APP_CHANNEL or event.get("sender_id") != sender_id_for(customer, sender_key):
        return None
    return customer


class StreamLearner:
    """Turns the stream's events into view interactions (the handler of a `StreamConsumer`)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.sessions = sessions
        self.sender_key = env.get("APP_SENDER_ID_KEY") or env.get("APP_JWT_SECRET") or ""
        self.consent_default = default_consent(env)
        if not self.sender_key:
            logger.warning("APP_JWT_SECRET is not set: no app customer is recognised on the event stream")

    async def handle(self, event: dict[str, Any]) -> None:
        sender = event.get("sender_id")
        if not isinstance(sender, str) or not sender:
            return
        if event.get("event") == "user":
            await self._remember(sender, event)
        elif event.get("event") == "slot" and event.get("name") == VIEW_SLOT and isinstance(event.get("value"), str):
            await self._view(sender, str(event["value"])[:MAX_PRODUCT_ID], event_time(event))

    async def _remember(self, sender: str, event: Mapping[str, Any]) -> None:
        customer = verified_customer(event, self.sender_key)
        consent = consent_of(event.get("metadata"))
        if customer is None and consent is None:
            return
        async with self.sessions() as session, session.begin():
            shopper = await session.get(StreamShopper, sender)
            if shopper is None:
                shopper = StreamShopper(sender_id=sender)
                session.add(shopper)
            if customer is not None:
                shopper.customer_id = customer
            if consent is not None:
                shopper.consent = consent
            shopper.updated_at = event_time(event)

    async def _view(self, sender: str, product_id: str, when: datetime) -> None:
        async with self.sessions() as session, session.begin():
            shopper = await session.get(StreamShopper, sender)
            if shopper is None or shopper.customer_id is None:
                return
            if not (shopper.consent if shopper.consent is not None else self.consent_default):
                return
            conversation = sender[:MAX_ID]
            seen = await session.execute(
                select(Interaction.id).where(
                    Interaction.customer_id == shopper.customer_id,
                    Interaction.product_id == product_id,
                    Interaction.kind == "view",
                    Interaction.conversation_id == conversation,
                    Interaction.occurred_at == when,
                )
            )
            if seen.first() is not None:
                return  # a redelivered event
            session.add(
                Interaction(
                    customer_id=shopper.customer_id,
                    product_id=product_id,
                    kind="view",
                    rating=None,
                    conversation_id=conversation,
                    occurred_at=when,
                )
            )


def stream_consumer(
    sessions: async_sessionmaker[AsyncSession], env: Mapping[str, str] | None = None
) -> StreamConsumer | None:
    """The backend's consumer of the recommendations queue, or None when the stream is off."""
    settings = StreamSettings.from_env(env)
    if not settings.enabled:
        return None
    return StreamConsumer(settings, RECOMMENDATIONS_QUEUE, StreamLearner(sessions, env).handle)
