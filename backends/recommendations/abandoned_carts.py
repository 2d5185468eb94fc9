"""Abandoned carts: a product added to the cart and neither bought nor removed becomes one proactive,
helpful message in the shopper's open chat (docs/recommendations-backend.md, "Abandoned carts").

The shop's front end already posts its cart events here (`POST /interactions`); an `add_to_cart` that
names the chat's `conversation_id` is watched (a row in `rec_abandoned_carts`). A timer wakes when
the earliest cart is `ABANDONED_CART_AFTER_S` old (and looks every `ABANDONED_CART_POLL_S` for carts
it did not time itself) and settles each exactly once: bought or removed since, no
consent, or capped (a message was sent to this shopper within `ABANDONED_CART_CAP_H`, counted from
the same table, so a restart forgets nothing) end it quietly; otherwise Rasa's trigger-intent API
runs `EXTERNAL_cart_abandoned` in the conversation, unless the shopper never wrote in it, a form is
asking its questions or an agent holds it. The action server then says the words (a coupon within the
pricing backend's budget, or alternatives: actions/cart_reminder.py). Rasa down is a log line and the
cart is settled as `failed`: a reminder hours late would not help.

Each row is claimed with one conditional UPDATE before anything is sent, so two replicas of the
service never both trigger for the same cart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import Boolean, DateTime, Index, Integer, String, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from backends.recommendations.tables import Base, Interaction, aware
from contracts.consent import CONSENT_KEY
from service_clients.assistant import AssistantClient, AssistantUnavailable
from service_kit.db import rows_changed
from settings_kit.settings import ServiceSettings

logger = logging.getLogger(__name__)

INTENT = "EXTERNAL_cart_abandoned"  # bot/domain.yml; the rule runs action_cart_reminder
PRODUCT_ENTITY, SHOPPER_ENTITY = "cart_product", "cart_shopper"
CLAIMED = "sending"
SENT = "sent"
BATCH = 100  # carts settled per look
MIN_WAIT_S = 0.01  # between looks, so that a cart another replica holds cannot make the timer spin


class CartSettings(ServiceSettings):
    """ABANDONED_CART* (the shop's switch, delay and cap); Rasa's address and token are RASA_*."""

    enabled: bool = Field(default=True, validation_alias="ABANDONED_CART")
    after_s: float = Field(default=1800.0, gt=0, validation_alias="ABANDONED_CART_AFTER_S")
    cap_h: float = Field(default=24.0, ge=0, validation_alias="ABANDONED_CART_CAP_H")
    # A cart this process watched is settled when it is due; this look (one indexed query) finds the
    # others (watched before a restart, or by another replica) at most this late.
    poll_s: float = Field(default=10.0, gt=0, validation_alias="ABANDONED_CART_POLL_S")
    # A cart older than the delay plus this is let go (e.g. after the detector was off for a while).
    max_late_h: float = Field(default=6.0, gt=0, validation_alias="ABANDONED_CART_MAX_LATE_H")


class AbandonedCart(Base):
    """One watched add-to-cart and how it was settled (`outcome` None: still waiting)."""

    __tablename__ = "rec_abandoned_carts"
    __table_args__ = (
        Index("ix_rec_abandoned_carts_waiting", "outcome", "added_at"),
        Index("ix_rec_abandoned_carts_customer", "customer_id", "outcome", "decided_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    interaction_id: Mapped[int] = mapped_column(Integer, unique=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[str] = mapped_column(String(128))  # whole, as the chat knows it
    consent: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # as the event said; None: not said
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class Cart:
    customer_id: str
    product_id: str
    conversation_id: str
    consent: bool | None
    added_at: datetime


def decide(
    cart: Cart, since: Sequence[tuple[str, str]], last_sent: datetime | None, now: datetime, cap: timedelta
) -> str:
    """What to do with a cart past its delay, from the shopper's `(kind, product)` events since it
    was added and the time of their last message: `send`, or why not. Consent said no (in the event)
    ends it; consent not said is left to the conversation's answer, which the action reads."""
    if ("purchase", cart.product_id) in since:
        return "bought"
    if ("remove_from_cart", cart.product_id) in since:
        return "removed"
    if cart.consent is False:
        return "no_consent"
    if last_sent is not None and now - aware(last_sent) < cap:
        return "capped"
    return "send"


class AbandonedCarts:
    """The watch list, the timer that settles it, and the trigger into Rasa."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: CartSettings,
        assistant: AssistantClient,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions, self.settings, self.assistant, self.clock = sessions, settings, assistant, clock
        self.next_due: datetime | None = None  # when the earliest waiting cart this process knows of is due
        self._woken = asyncio.Event()  # a cart was watched that is due sooner

    async def watch(self, event: Mapping[str, Any], interaction_id: int, added_at: datetime) -> bool:
        """Keeps an add-to-cart that names the chat; anything else is not a cart to watch, and one that is
        watched already (the stream delivered it again) is kept once."""
        conversation = event.get("conversation_id")
        if event.get("type") != "add_to_cart" or not conversation:
            return False
        consent = event.get(CONSENT_KEY)
        row = AbandonedCart(
            interaction_id=interaction_id,
            customer_id=event["customer_id"],
            product_id=event["product_id"],
            conversation_id=conversation,
            consent=consent if isinstance(consent, bool) else None,
            added_at=aware(added_at),
        )
        try:
            async with self.sessions() as session, session.begin():
                session.add(row)
        except IntegrityError:  # interaction_id is unique: this cart is watched already
            return False
        due = row.added_at + self.delay
        if self.next_due is None or due < self.next_due:
            self.next_due = due
            self._woken.set()
        return True

    @property
    def delay(self) -> timedelta:
        return timedelta(seconds=self.settings.after_s)

    async def run(self) -> None:
        """Settles carts when the earliest is due, and looks at least every `poll_s`; a failure is a
        log line and the next look comes as usual."""
        while True:
            await self._sleep_until_due()
            try:
                await self.settle_due()
                self.next_due = await self._earliest_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("abandoned carts: the look at due carts failed; trying again later")

    async def _sleep_until_due(self) -> None:
        """Until the earliest known cart is due, at most `poll_s`; a cart watched meanwhile that is
        due sooner shortens the sleep."""
        while True:
            self._woken.clear()
            wait = self.settings.poll_s
            if self.next_due is not None:
                wait = min(wait, max(MIN_WAIT_S, (self.next_due - self.clock()).total_seconds()))
            try:
                await asyncio.wait_for(self._woken.wait(), wait)
            except TimeoutError:
                return

    async def _earliest_due(self) -> datetime | None:
        async with self.sessions() as session:
            added = await session.scalar(
                select(func.min(AbandonedCart.added_at)).where(AbandonedCart.outcome.is_(None))
            )
        return aware(added) + self.delay if added is not None else None

    async def settle_due(self) -> dict[str, int]:
        """Settles every cart past its delay; returns how many ended how (for the tests and the log)."""
        now = self.clock()
        due = now - self.delay
        async with self.sessions() as session:
            rows = await session.scalars(
                select(AbandonedCart)
                .where(AbandonedCart.outcome.is_(None), AbandonedCart.added_at <= due)
                .order_by(AbandonedCart.added_at)
                .limit(BATCH)
            )
            waiting = list(rows)
        counts: dict[str, int] = {}
        for row in waiting:
            outcome = await self.settle(row, now, too_late=aware(row.added_at) < due - self.too_late)
            if outcome is not None:
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    @property
    def too_late(self) -> timedelta:
        return timedelta(hours=self.settings.max_late_h)

    async def settle(self, row: AbandonedCart, now: datetime, too_late: bool = False) -> str | None:
        """Claims the cart, decides, sends if it should, and stores the outcome; None: another replica had it."""
        if not await self._claim(row.id):
            return None
        cart = Cart(row.customer_id, row.product_id, row.conversation_id, row.consent, aware(row.added_at))
        outcome = "expired" if too_late else decide(cart, *(await self._history(cart)), now, self.cap)
        if outcome == "send":
            outcome = await self.deliver(cart)
        decided = self.clock()
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(AbandonedCart).where(AbandonedCart.id == row.id).values(outcome=outcome, decided_at=decided)
            )
        late = (decided - cart.added_at).total_seconds() - self.settings.after_s
        logger.info(
            "abandoned cart %s of %s in %s: %s, %.2f s after it was due",
            cart.product_id,
            cart.customer_id,
            cart.conversation_id,
            outcome,
            late,
        )
        return outcome

    @property
    def cap(self) -> timedelta:
        return timedelta(hours=self.settings.cap_h)

    async def deliver(self, cart: Cart) -> str:
        """Triggers the intent when the conversation can take it: `sent`, `declined` (the action said
        nothing, e.g. no consent in the chat), or why not."""
        try:
            state = await self.assistant.conversation(cart.conversation_id)
            if state.input_channel is None:
                return "no_chat"
            if state.paused:
                return "handoff"
            if state.active_form:
                return "form"
            said = await self.assistant.trigger_intent(
                cart.conversation_id, INTENT, {PRODUCT_ENTITY: cart.product_id, SHOPPER_ENTITY: cart.customer_id}
            )
        except AssistantUnavailable as error:
            logger.warning(
                "abandoned cart in %s: no message, the assistant is unavailable: %s", cart.conversation_id, error
            )
            return "failed"
        return SENT if said else "declined"

    async def _claim(self, row_id: int) -> bool:
        claim = (
            update(AbandonedCart)
            .where(AbandonedCart.id == row_id, AbandonedCart.outcome.is_(None))
            .values(outcome=CLAIMED)
        )
        async with self.sessions() as session, session.begin():
            return await rows_changed(session, claim) == 1

    async def _history(self, cart: Cart) -> tuple[list[tuple[str, str]], datetime | None]:
        """The shopper's purchases and removals since the cart was added, and their last message."""
        async with self.sessions() as session:
            events = await session.execute(
                select(Interaction.kind, Interaction.product_id).where(
                    Interaction.customer_id == cart.customer_id,
                    Interaction.kind.in_(("purchase", "remove_from_cart")),
                    Interaction.occurred_at >= cart.added_at,
                )
            )
            last_sent = await session.scalar(
                select(func.max(AbandonedCart.decided_at)).where(
                    AbandonedCart.customer_id == cart.customer_id, AbandonedCart.outcome == SENT
                )
            )
        return [(kind, product) for kind, product in events.all()], last_sent
