"""Attacks on order ownership over the REST channel against the real stack.

Guessing an order's ZIP code across many conversations gets the order locked in the orders
backend (a new conversation or /restart does not reset it), and nothing tells an existing order
number from an unknown one. The orders used here are not in var/demo-orders.json, so the lockout
does not disturb other tests that share the stack.
"""

from __future__ import annotations

from typing import Any

import requests

from tests.e2e.conversation import Conversation

LOCKED = "too many unsuccessful attempts"
GAVE_UP = "couldn't confirm that this order is yours"
WRONG_PROOF = "couldn't confirm that order with those details"


def backend(stack: Any, path: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {stack.secrets['ORDERS_API_TOKEN']}"}
    return requests.get(stack.orders_url + path, headers=headers, timeout=30)


def unlisted_orders(stack: Any) -> list[dict]:
    """Real orders of the demo customers that no other test knows about."""
    listed = {o["order_number"] for group in (*stack.demo_orders.values(), *stack.scenarios.values()) for o in group}
    customers = sorted({o["customer_id"] for group in stack.demo_orders.values() for o in group})
    found = []
    for customer in customers:
        orders = backend(stack, f"/customers/{customer}/orders?limit=50").json()["orders"]
        found += [o for o in orders if o["order_number"] not in listed]
    assert len(found) >= 2, "the demo data has too few orders outside demo-orders.json"
    return found


def wrong_zips(right: str, count: int) -> list[str]:
    return [f"{(int(right) + step * 7919) % 100000:05d}" for step in range(1, count + 1)]


def test_guessing_zip_codes_across_conversations_locks_the_order_even_for_the_right_zip(stack: Any) -> None:
    order = unlisted_orders(stack)[0]
    number, right = order["order_number"], order["shipping_address"]["postcode"]
    guesses = iter(wrong_zips(right, 12))
    conversations, answers = 0, []
    for guess in guesses:
        chat = Conversation(stack.rasa_url)  # a new conversation: the per-conversation limit starts again
        conversations += 1
        asked = chat.say(f"where is order {number}?")
        assert "zip" in asked.lower(), asked
        answer = chat.say(f"my zip is {guess}")
        while WRONG_PROOF in answer:  # the form asks again until its 3 tries or the backend's lockout
            answer = chat.say(f"my zip is {next(guesses)}")
        answers.append(answer)
        assert order["status"].replace("_", " ") not in answer
    assert conversations >= 4, "12 guesses need at least 4 conversations of 3 tries"
    assert any(GAVE_UP in a for a in answers) and LOCKED in answers[-1], answers

    chat = Conversation(stack.rasa_url)
    chat.say(f"where is order {number}?")
    refused = chat.say(f"my zip is {right}")
    assert LOCKED in refused, refused
    assert number not in refused and order["shipping_address"]["line1"] not in refused
    scraper = {"Authorization": f"Bearer {stack.secrets['METRICS_TOKEN']}"}
    metrics = requests.get(stack.orders_url + "/metrics", headers=scraper, timeout=30).text
    assert "orders_lockouts_active 0" not in metrics and "orders_proofs_refused_locked_total 0" not in metrics


def test_an_unknown_order_number_and_a_wrong_zip_get_the_same_replies(stack: Any) -> None:
    real = unlisted_orders(stack)[1]
    unknown = next(str(n) for n in range(999999, 900000, -1) if backend(stack, f"/orders/{n}").status_code == 404)
    guess = wrong_zips(real["shipping_address"]["postcode"], 1)[0]
    replies = []
    for number in (unknown, real["order_number"]):
        chat = Conversation(stack.rasa_url)
        chat.say("where is my order?")
        replies.append((chat.say(number), chat.say(f"my zip is {guess}")))
    (asked_unknown, refused_unknown), (asked_real, refused_real) = replies
    assert asked_unknown == asked_real and "zip" in asked_real.lower()
    assert refused_unknown == refused_real and WRONG_PROOF in refused_real
