"""Address changes as a new shopper makes them (issue 12), checked in the order backend afterwards.

A whole address in one message, an address written into the request itself, a partial address, and a
question asked in the middle: only the missing parts are asked, and no message gets a complaint it was
not an answer to. The field-by-field
change is in test_order_conversations.py. Orders used here: "processing" 3 and 4, "packed" 0 and 1.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from contracts.texts import texts
from tests.e2e.conversation import Conversation
from tests.e2e.outbox import mailed_code

COMPLAINTS = [texts().text(f"order_dialogue.{key}") for key in ("street_invalid", "city_invalid", "postcode_invalid")]


def shipping_address(stack: Any, number: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {stack.secrets['ORDERS_API_TOKEN']}"}
    response = requests.get(f"{stack.orders_url}/orders/{number}", headers=headers, timeout=10)
    assert response.status_code == 200, response.text[:300]
    return response.json()["shipping_address"]


def assert_no_complaint(reply: str) -> None:
    assert not [complaint for complaint in COMPLAINTS if complaint in reply], reply


def asked_for_the_new_address(stack: Any, order: dict) -> tuple[Conversation, str]:
    """A shopper asks to change the address and proves the order by email: the form asks for it."""
    chat = Conversation(stack.rasa_url)
    chat.say("I need to change the delivery address of my order")
    chat.say(order["order_number"])
    return chat, chat.say(order["email"])


def confirm_with_code(stack: Any, chat: Conversation, order: dict) -> str:
    """Says yes, and types the one-time code mailed to the order's email; returns the final reply."""
    asked = time.time() - 1
    assert "one-time code" in chat.say("yes")
    return chat.say(mailed_code(stack.var, order["email"], after=asked))


def test_a_whole_address_in_one_message_changes_the_order(stack):
    order = stack.order("processing", 3)
    chat, intro = asked_for_the_new_address(stack, order)
    assert "new address" in intro
    assert_no_complaint(intro)  # the email proves the order; it is no answer to the address question
    question = chat.say("77 Elm Road, Boston, MA 02118")
    assert f"order {order['order_number']} to 77 Elm Road, Boston 02118?" in question
    assert "will now ship to 77 Elm Road, Boston 02118" in confirm_with_code(stack, chat, order)
    address = shipping_address(stack, order["order_number"])
    assert (address["line1"], address["city"], address["postcode"]) == ("77 Elm Road", "Boston", "02118")


def test_an_address_in_the_request_is_kept(stack):
    order = stack.order("processing", 4)
    chat = Conversation(stack.rasa_url)
    chat.say(f"change the shipping address of order {order['order_number']} to 500 Main St, Austin TX 78701")
    question = chat.say(order["email"])  # the proof: the address is not asked again
    assert_no_complaint(question)
    assert f"order {order['order_number']} to 500 Main St, Austin 78701?" in question
    assert "will now ship to 500 Main St, Austin 78701" in confirm_with_code(stack, chat, order)
    address = shipping_address(stack, order["order_number"])
    assert (address["line1"], address["city"], address["postcode"]) == ("500 Main St", "Austin", "78701")


def test_a_partial_address_asks_only_for_the_missing_part(stack):
    order = stack.order("packed", 0)
    before = shipping_address(stack, order["order_number"])
    chat = Conversation(stack.rasa_url)
    chat.say("I want to change the shipping address of my order")
    chat.say(order["order_number"])
    assert_no_complaint(chat.say(order["email"]))
    asked = chat.say("Springfield, IL 62704")
    assert_no_complaint(asked)
    assert "street" in asked.lower() and "city" not in asked.lower() and "zip" not in asked.lower()
    question = chat.say("12 Oak Street")
    assert f"order {order['order_number']} to 12 Oak Street, Springfield 62704?" in question
    assert "haven't changed anything" in chat.say("no")
    assert shipping_address(stack, order["order_number"]) == before


def test_a_question_inside_the_address_form_is_answered_and_the_address_asked_again(stack):
    order = stack.order("packed", 1)
    chat, _ = asked_for_the_new_address(stack, order)
    answered = chat.say("how long does delivery take?")
    assert_no_complaint(answered)
    # the proven order's delivery date, then the address question again
    assert f"Order {order['order_number']}: It should arrive by" in answered and "street" in answered.lower(), answered
    answered = chat.say("do you ship to Canada?")
    assert_no_complaint(answered)
    assert "express delivery" in answered and "street" in answered.lower(), answered
    question = chat.say("45 Maple Avenue, Portland, OR 97205")
    assert f"order {order['order_number']} to 45 Maple Avenue, Portland 97205?" in question


def test_never_mind_inside_the_address_form_stops_it_without_a_complaint(stack):
    order = stack.order("packed", 1)
    before = shipping_address(stack, order["order_number"])
    chat, _ = asked_for_the_new_address(stack, order)
    stopped = chat.say("never mind")
    assert_no_complaint(stopped)
    assert stopped == texts().all_responses()["utter_ok_stopped"][0]["text"], stopped
    assert shipping_address(stack, order["order_number"]) == before
