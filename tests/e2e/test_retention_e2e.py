"""Churn risk steering service, end to end in the app channel (issue 16): real Rasa, action server,
pricing, retention backend and desk. Two logged-in customers who consented to personalisation (the
app's `personalisation_consent` metadata: no churn profiling without it, issue 14) say the same upset
things; the one the retention backend scores as valuable and likely to leave gets a larger goodwill
coupon (within the pricing budget) and a ticket one priority level higher than the one who is not."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import requests

from tests.e2e.conftest import Stack
from tests.e2e.test_handoff_conversations import DeskAgent
from tests.e2e.test_identity import fresh_app_chat

COUPON_WORTH = re.compile(r"worth \$([0-9]+\.[0-9]{2})")


def retention(stack: Stack, path: str) -> Any:
    response = requests.get(
        f"http://127.0.0.1:{stack.env['RETENTION_PORT']}{path}",
        headers={"Authorization": f"Bearer {stack.secrets['RETENTION_API_TOKEN']}"},
        params={"personalisation_consent": "true"},  # the test stands in for consenting shoppers
        timeout=10,
    )
    assert response.status_code in (200, 404), response.text
    return response.json() if response.status_code == 200 else None


def customer_in_tier(stack: Stack, tier: str) -> str:
    """A demo customer (the orders seed's) whose seeded score puts them in `tier`."""
    ids = sorted({o["customer_id"] for orders in stack.demo_orders.values() for o in orders if o.get("customer_id")})
    for customer in ids:
        score = retention(stack, f"/customers/{customer}/risk")
        if score and score["tier"] == tier:
            return customer
    raise AssertionError(f"no demo customer in the {tier} tier among {len(ids)}")


def upset_conversation(stack: Stack, customer: str) -> tuple[Decimal, str]:
    """The goodwill amount offered, and the conversation id of the ticket."""
    # One app conversation per customer: earlier tests may have used this demo customer's (and calmed,
    # de-escalated or handed it off), so it starts again from a restart.
    shopper = fresh_app_chat(stack, customer)
    first = shopper.say(
        "Your delivery fees are a total rip-off!!! Why is shipping SO EXPENSIVE???",
        metadata={"personalisation_consent": True},
    )
    assert "colleague" in first, first
    worth = COUPON_WORTH.search(first)
    assert worth, f"no goodwill coupon offered: {first}"
    second = shopper.say("This is useless, you are not helping me at all. Terrible service!!")
    assert "colleague" in second, second
    return Decimal(worth.group(1)), shopper.replies[0]["recipient_id"]


def test_a_frustrated_high_risk_customer_gets_priority_and_a_larger_offer(stack: Stack) -> None:
    high, low = customer_in_tier(stack, "high"), customer_in_tier(stack, "low")
    before = retention(stack, "/report")
    high_offer, high_conversation = upset_conversation(stack, high)
    low_offer, low_conversation = upset_conversation(stack, low)
    assert high_offer > low_offer
    agent = DeskAgent(stack)
    high_ticket, low_ticket = agent.ticket_for(high_conversation), agent.ticket_for(low_conversation)
    assert high_ticket["priority"] == low_ticket["priority"] + 1
    after = retention(stack, "/report")
    made = {t["tier"]: t["offers"] for t in after["tiers"]}
    made_before = {t["tier"]: t["offers"] for t in before["tiers"]}
    assert made["high"] == made_before["high"] + 1 and made["low"] == made_before["low"] + 1
