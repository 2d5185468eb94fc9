"""A product's price (range, or per size/colour; a compare-at price shown as the saving), plus the
shopper's personal price from the pricing backend (sales, tier, coupon) when it differs.
"""

from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk.events import EventType

from actions import backend
from actions.consent import personalisation_allowed, remember_consent
from actions.identity import app_customer_id
from actions.products import texts
from actions.products.base import ProductAction
from actions.products.context import (
    SLOT_COUPON,
    latest_mention,
    named_products,
    options_asked,
    policy_topic,
    remember,
)
from actions.products.policy import ActionProductPolicy
from actions.products.resolution import Turn
from actions.products.words import matching
from contracts.catalogue import ProductDetails, Variant
from service_clients.pricing import PricingUnavailable, Quote


class ActionProductPrice(ProductAction):
    """Price range, or per size/colour; a compare-at price is shown as the saving."""

    def name(self) -> str:
        return "action_product_price"

    async def answer(self, turn: Turn) -> list[EventType]:
        topic = policy_topic(turn.tracker)
        if topic in ("discounts", "prices") and not named_products(turn.tracker) and not latest_mention(turn.tracker):
            return await self.delegate(ActionProductPolicy).answer(turn)
        details, events = await self.focus(turn)
        if details is None:
            return events
        options = options_asked(turn.tracker, details)
        chosen = matching(details.variants, options) if options else []
        if chosen:
            turn.say(texts.option_price(details, options.label, chosen))
        else:
            turn.say(texts.product_price(details))
        quote = await personal_quote(turn, details, chosen, turn.tracker.get_slot(SLOT_COUPON))
        if quote is not None and (quote.adjusted or quote.guardrail):
            turn.say(texts.personal_price(quote))
        return [*remember(details.id), *remember_consent(turn.tracker)]


async def personal_quote(
    turn: Turn, details: ProductDetails, chosen: Sequence[Variant], coupon: str | None = None
) -> Quote | None:
    """Sales, tier and guardrails from the pricing backend for the variant asked about (or the cheapest
    in stock); None when it is down: the catalogue price already given stands. The customer id goes
    along for the coupon's per-customer terms; the tier counts only with the shopper's consent."""
    variants = list(chosen) or sorted(details.variants, key=lambda v: (not v.in_stock, v.price))
    if not variants:
        return None
    variant = variants[0]
    try:
        return await backend.pricing_client().quote(
            sku=variant.sku,
            product_id=details.id,
            base_price=variant.price,
            currency=details.summary.currency,
            category=details.summary.category_path[-1] if details.summary.category_path else None,
            stock=max(variant.stock, 0),
            customer_id=app_customer_id(turn.tracker),
            coupon_code=coupon,
            consent=personalisation_allowed(turn.tracker),
        )
    except PricingUnavailable:
        return None
