"""Bad input and broken parts: the shopper always gets a clear answer, nothing is lost."""

from __future__ import annotations

import uuid

import requests

from tests.e2e.conversation import Conversation, stored_tracker

POLITE_TOO_LONG = "too long"


def webhook(stack) -> str:
    return f"{stack.rasa_url}/webhooks/rest/webhook"


def test_empty_message_gets_a_prompt(stack):
    assert "didn't receive any text" in Conversation(stack.rasa_url).say("")


def test_100_kb_message_gets_a_polite_refusal_and_the_conversation_goes_on(stack):
    chat = Conversation(stack.rasa_url)
    assert POLITE_TOO_LONG in chat.say("where is my order " * 6000)
    assert "order number" in chat.say("where is my order?").lower()


def test_control_characters_and_odd_unicode_are_handled(stack):
    reply = Conversation(stack.rasa_url).say("\x00\x01hello\x7f 👋 \u202e")
    assert reply


def test_binary_body_is_refused_with_a_reason(stack):
    response = requests.post(
        webhook(stack), data=b"\xff\xfe\x00\x81binary", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400
    assert "valid JSON" in response.json()["message"]


def test_malformed_json_is_refused_with_a_reason(stack):
    response = requests.post(
        webhook(stack), data=b'{"sender": "x", "message": ', headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_json_that_is_not_an_object_or_lacks_a_sender_is_refused(stack):
    for body in (["hi"], {"message": "hi"}, {"sender": "", "message": "hi"}, {"sender": "x", "message": 42}):
        response = requests.post(webhook(stack), json=body, timeout=10)
        assert response.status_code == 400, body
        assert response.json()["message"]


def test_a_new_conversation_id_starts_a_fresh_conversation(stack):
    reply = Conversation(stack.rasa_url).say("hello")
    assert "shop assistant" in reply


def test_a_sender_id_the_server_did_not_issue_is_refused_with_a_reason(stack):
    response = Conversation(stack.rasa_url, sender=f"never-seen-{uuid.uuid4().hex}").send("hello")
    assert response.status_code == 403
    assert "POST /webhooks/rest/session" in response.json()["message"]


def test_killed_action_server_mid_conversation(stack):
    order = stack.order("shipped", 2)
    chat = Conversation(stack.rasa_url)
    assert "order number" in chat.say("where is my order?").lower()
    stack.kill("actions")
    try:
        apology = chat.say(order["order_number"])
        assert "something went wrong on my side" in apology
    finally:
        stack.restart()
    user_texts = [e.get("text") for e in stored_tracker(stack, chat.sender)["events"] if e["event"] == "user"]
    assert order["order_number"] in user_texts, "the shopper's message is kept"
    # The conversation carries on where it was once the action server is back.
    chat.say(order["order_number"])
    assert order["order_number"] in chat.say(order["email"])


def test_order_backend_down_gives_an_apology_and_a_next_step(stack):
    order = stack.order("shipped", 2)
    chat = Conversation(stack.rasa_url)
    chat.say("where is my order?")
    # An anonymous visitor's order number is only checked together with its proof (issue 10: no
    # enumeration), so the backend is first needed when the email arrives.
    chat.say(order["order_number"])
    stack.kill("orders")
    try:
        reply = chat.say(order["email"])
        assert "can't reach our order system" in reply
        assert "+1 555 0100" in reply
    finally:
        stack.restart()
    chat.say("where is my order?")
    chat.say(order["order_number"])
    assert order["order_number"] in chat.say(order["email"])
