"""Order conversations over the REST channel against the real stack and the seeded demo orders."""

from __future__ import annotations

import re
import time

from tests.e2e.conversation import Conversation
from tests.e2e.outbox import mailed_code


def start_tracking(stack, order: dict, opener: str = "where is my order?") -> tuple[Conversation, str]:
    chat = Conversation(stack.rasa_url)
    asked = chat.say(opener)
    assert "order number" in asked.lower()
    asked_proof = chat.say(order["order_number"])
    assert "email" in asked_proof.lower() and "zip" in asked_proof.lower()
    return chat, chat.say(order["email"])


def test_anonymous_tracking_needs_number_and_matching_email(stack):
    order = stack.order("shipped")
    _, answer = start_tracking(stack, order)
    assert order["order_number"] in answer
    assert "shipped" in answer.lower()
    assert re.search(r"arrive by \w+day \d+ \w+", answer), answer


def test_context_kept_for_follow_up_question(stack):
    order = stack.order("shipped")
    chat, _ = start_tracking(stack, order)
    follow_up = chat.say("and when will it arrive?")
    assert order["order_number"] in follow_up and "arrive by" in follow_up
    invoice = chat.say("can I see the invoice for it?")
    assert "Invoice" in invoice and order["order_number"] in invoice, "no re-asking for an order already proven"


def test_unknown_order_number_is_not_revealed(stack):
    chat = Conversation(stack.rasa_url)
    chat.say("where is my order?")
    asked = chat.say("999999")
    assert "email" in asked.lower() and "zip" in asked.lower(), "asked for proof, like for any number"
    answer = chat.say("jane@example.com")
    assert "couldn't confirm that order with those details" in answer


def test_wrong_email_is_refused_and_nothing_leaks(stack):
    order = stack.order("shipped")
    chat = Conversation(stack.rasa_url)
    chat.say("track my order " + order["order_number"])
    answer = chat.say("someone.else@example.com")
    assert "couldn't confirm that order with those details" in answer
    assert "shipped" not in answer.lower() and "arrive" not in answer.lower()


def test_three_wrong_proofs_end_the_attempt(stack):
    order = stack.order("processing")
    chat = Conversation(stack.rasa_url)
    chat.say("where is order " + order["order_number"])
    chat.say("wrong1@example.com")
    chat.say("wrong2@example.com")
    answer = chat.say("wrong3@example.com")
    assert "couldn't confirm" in answer
    assert "being prepared" not in answer


def test_postcode_proves_ownership_too(stack):
    order = stack.order("delivered")
    chat = Conversation(stack.rasa_url)
    chat.say("where is my order")
    chat.say(order["order_number"])
    answer = chat.say(f"my zip is {order['postcode']}")
    assert order["order_number"] in answer and "delivered" in answer


def test_correction_to_the_other_order(stack):
    first, second = stack.order("shipped", 0), stack.order("delivered", 0)
    chat, _ = start_tracking(stack, first)
    asked = chat.say(f"no, I meant the other order, {second['order_number']}")
    assert "email" in asked.lower(), "a different order needs its own proof"
    answer = chat.say(second["email"])
    assert second["order_number"] in answer and "delivered" in answer


def test_digression_inside_the_form_then_continue(stack):
    order = stack.order("shipped")
    chat = Conversation(stack.rasa_url)
    chat.say("where is my order?")
    policy = chat.say("what is your refund policy?")
    assert "30 days" in policy
    assert "order number" in policy.lower(), "the form asks again after the digression"
    chat.say(order["order_number"])
    assert order["order_number"] in chat.say(order["email"])


def test_cancel_a_processing_order_after_confirmation(stack):
    order = stack.order("processing", 1)
    chat = Conversation(stack.rasa_url)
    chat.say("I want to cancel my order")
    chat.say(order["order_number"])
    question = chat.say(order["email"])
    assert "Shall I cancel it?" in question
    asked = time.time() - 1
    code_request = chat.say("yes")
    masked = order["email"][0] + "***@" + order["email"].split("@")[1]
    assert f"emailed a one-time code to {masked}" in code_request and "8-digit code" in code_request
    assert "cancelled" not in code_request, "an email/ZIP proof alone changes nothing"
    done = chat.say(f"the code is {mailed_code(stack.var, order['email'], after=asked)}")
    assert f"order {order['order_number']} is cancelled" in done
    again = chat.say("where is my order?")
    assert "was cancelled" in again, "the backend really changed state"


def test_shipped_order_cannot_be_cancelled(stack):
    order = stack.order("shipped", 1)
    chat = Conversation(stack.rasa_url)
    chat.say("cancel order " + order["order_number"])
    answer = chat.say(order["email"])
    assert "can't be cancelled" in answer


def test_change_shipping_address(stack):
    order = stack.order("processing", 2)
    chat = Conversation(stack.rasa_url)
    chat.say("I need to change the delivery address of my order")
    chat.say(order["order_number"])
    intro = chat.say(order["email"])
    assert "new address" in intro and "street" in intro.lower()
    assert "city" in chat.say("12 Oak Street").lower()
    assert "zip" in chat.say("Springfield").lower()
    confirm = chat.say("62704")
    assert "12 Oak Street, Springfield 62704" in confirm
    asked = time.time() - 1
    assert "one-time code" in chat.say("yes")
    code = mailed_code(stack.var, order["email"], after=asked)
    wrong = "00000000" if code != "00000000" else "11111111"
    retry = chat.say(wrong)
    assert "not right" in retry and "will now ship" not in retry
    assert "will now ship to 12 Oak Street, Springfield 62704" in chat.say(code)


def test_return_a_delivered_order_and_track_the_refund(stack):
    order = stack.scenarios["delivered_returnable"][0]
    chat = Conversation(stack.rasa_url)
    chat.say("I want to return my order and get a refund")
    chat.say(order["order_number"])
    question = chat.say(order["email"])
    assert "Shall I start the return?" in question
    asked = time.time() - 1
    assert "one-time code" in chat.say("yes please")
    assert "return for order" in chat.say(mailed_code(stack.var, order["email"], after=asked))
    status = chat.say("what's the status of my refund?")
    assert "requested" in status


def test_fallback_twice_offers_a_person(stack):
    """Two real requests not understood (keyboard noise offers no one: test_handoff_conversations.py)."""
    chat = Conversation(stack.rasa_url)
    first = chat.say("can I get it engraved")
    second = chat.say("is your warehouse open on sundays")
    assert "another way" in first or "can't help with that" in first
    assert "pass you to a colleague" in second
