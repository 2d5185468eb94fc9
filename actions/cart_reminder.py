"""The one note about an abandoned cart: a coupon within the goodwill budget, else alternatives.

The recommendations backend notices a cart left without buying (backends/recommendations/
abandoned_carts.py) and triggers the intent `EXTERNAL_cart_abandoned` through Rasa's trigger-intent
API with the product and the shopper (the shop's customer id, from its own server) as entities; the
rule in bot/data/rules.yml runs this action. It says one helpful sentence or nothing:

- nothing when the message did not come through the trigger-intent API (a shopper typing
  `/EXTERNAL_cart_abandoned{...}` must not mint coupons), while an agent holds the conversation
  (hand-off), inside an active form, or without the shopper's consent to personalisation (a note timed
  on what they put in their cart is personal marketing: docs/recommendations-backend.md);
- otherwise a one-time coupon from the pricing backend's goodwill budget (its own rules cap it per
  customer and per day and audit it); when none can be given (budget spent, backend down) a few
  alternatives from the recommendations backend; when those are missing too, a plain reminder.
Every skip and every missing backend is a log line.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Counter
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import backend
from actions.consent import personalisation_allowed
from actions.products.recommendations import conversation_key
from contracts.texts import texts
from service_clients.catalogue import CatalogueUnavailable
from service_clients.pricing import PricingUnavailable
from service_clients.recommendations import RecommendationsUnavailable

logger = logging.getLogger(__name__)

INTENT = "EXTERNAL_cart_abandoned"
TRIGGERED_TEXT = f"EXTERNAL: {INTENT}"  # Rasa's text of a trigger-intent message (UserUttered.create_external)
PRODUCT_ENTITY = "cart_product"
SHOPPER_ENTITY = "cart_shopper"
GOODWILL_REASON = "abandoned_cart"
ALTERNATIVES = 3

CART_REMINDERS = Counter(
    "shop_cart_reminders_total",
    "Abandoned-cart notes: coupon, alternatives or plain sent, or why none was (skipped_*).",
    ["outcome"],
)


def skip_reason(tracker: Tracker) -> str | None:
    """Why no note may be said in this conversation now, or None when one may."""
    if tracker.latest_message.get("text") != TRIGGERED_TEXT:
        return "not_triggered"
    if tracker.is_paused():
        return "handoff"
    if (tracker.active_loop or {}).get("name"):
        return "form"
    if not personalisation_allowed(tracker):
        return "no_consent"
    return None


def entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return value if isinstance(value, str) and value else None


async def product_title(product_id: str) -> str:
    try:
        details = await backend.catalogue_client().product(product_id)
    except CatalogueUnavailable as error:
        logger.warning("cart reminder: product %s unknown, knowledge graph unavailable: %s", product_id, error)
        details = None
    return details.summary.title if details else texts().text("cart_reminder.a_product")


async def coupon_offer(shopper: str) -> str | None:
    """The pricing backend's words for a one-time coupon, or None when its budget or rules say no."""
    try:
        offer = await backend.pricing_client().goodwill(shopper, GOODWILL_REASON)
    except PricingUnavailable as error:
        logger.warning("cart reminder: no coupon for %s, pricing backend unavailable: %s", shopper, error)
        return None
    return offer.explanation if offer else None


async def alternatives(product_id: str, shopper: str, tracker: Tracker) -> list[str]:
    """Others like the cart's product (its own list is personal: the shopper consented)."""
    try:
        found = await backend.recommendations_client().recommend(
            shopper, product_id=product_id, conversation_id=conversation_key(tracker), k=ALTERNATIVES, consent=True
        )
    except RecommendationsUnavailable as error:
        logger.warning("cart reminder: no alternatives, recommendations backend unavailable: %s", error)
        return []
    return [item.title for item in found.items if item.title and item.product_id != product_id]


class ActionCartReminder(Action):
    def name(self) -> str:
        return "action_cart_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        product_id, shopper = entity(tracker, PRODUCT_ENTITY), entity(tracker, SHOPPER_ENTITY)
        reason = skip_reason(tracker) or (None if product_id and shopper else "no_product")
        if reason is not None or product_id is None or shopper is None:
            logger.info("cart reminder skipped in %s: %s", tracker.sender_id, reason)
            CART_REMINDERS.labels(f"skipped_{reason}").inc()
            return []
        outcome, text = await self.note(product_id, shopper, tracker)
        dispatcher.utter_message(text=text)
        CART_REMINDERS.labels(outcome).inc()
        logger.info("cart reminder in %s: %s", tracker.sender_id, outcome)
        return []

    @staticmethod
    async def note(product_id: str, shopper: str, tracker: Tracker) -> tuple[str, str]:
        """(outcome, sentence): a coupon first, else alternatives, else a plain reminder."""
        values: dict[str, Any] = {"product": await product_title(product_id)}
        offer = await coupon_offer(shopper)
        if offer:
            return "coupon", texts().text("cart_reminder.coupon", offer=offer, **values)
        others = await alternatives(product_id, shopper, tracker)
        if others:
            return "alternatives", texts().text("cart_reminder.alternatives", products=", ".join(others), **values)
        return "plain", texts().text("cart_reminder.plain", **values)
