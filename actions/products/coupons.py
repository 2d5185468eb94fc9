"""Coupons ("I have a coupon WELCOME10"): the pricing backend checks the code's terms; a valid code is
kept for later price answers in the conversation. Codes are redeemed at checkout, not here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions import backend
from actions.identity import app_customer_id
from actions.products import texts
from actions.products.base import ProductAction
from actions.products.context import SLOT_COUPON, last_product_id, latest_entities
from actions.products.price import personal_quote
from actions.products.resolution import Turn
from service_clients.pricing import PricingUnavailable


class ActionApplyCoupon(ProductAction):
    """'I have a coupon WELCOME10': checks the code's terms, remembers it for later prices in this
    conversation and, with a product in context, shows that product's price with the code. Codes are
    redeemed at checkout, not here."""

    def name(self) -> str:
        return "action_apply_coupon"

    async def answer(self, turn: Turn) -> list[EventType]:
        code = coupon_said(turn.tracker)
        if code is None:
            turn.say(texts.ask_coupon_code())
            return []
        try:
            coupon = await backend.pricing_client().coupon(code)
        except PricingUnavailable:
            turn.say(texts.coupon_check_down(code))
            return []
        if coupon is None:
            return refused(turn, code, "unknown")
        problem = coupon.problem(datetime.now(UTC), app_customer_id(turn.tracker))
        if problem is not None:
            return refused(turn, code, problem)
        turn.say(texts.coupon_accepted(coupon))
        events: list[EventType] = [SlotSet(SLOT_COUPON, coupon.code)]
        last = last_product_id(turn.tracker)
        details = await turn.client.product(last) if last else None
        if details is not None:
            quote = await personal_quote(turn, details, [], coupon.code)
            if quote is not None:
                turn.say(texts.price_with_coupon(details, quote))
        return events


def refused(turn: Turn, code: str, problem: str) -> list[EventType]:
    """Says why the code does not apply and forgets it, so later prices are quoted without it."""
    turn.say(texts.coupon_refused(code, problem))
    return [SlotSet(SLOT_COUPON, None)]


def coupon_said(tracker: Tracker) -> str | None:
    """The code in this message (entity), else one given earlier in the conversation."""
    codes = [e.get("value") for e in latest_entities(tracker, "coupon_code") if e.get("value")]
    code = codes[0] if codes else tracker.get_slot(SLOT_COUPON)
    return str(code).strip().upper() if code else None
