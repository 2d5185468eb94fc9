"""Attacks on the action server and on conversation ids, against the running stack (issue 10, holes 2, 3, 6).

- Hole 2: the action server believes the tracker it is sent, so only Rasa may call it: a forged
  tracker without the shared token, a non-JSON body, or anything a browser sends (an `Origin`
  header) is refused before an action runs.
- Hole 3: a conversation id is all an anonymous client holds, so every channel accepts only its
  own ids: REST cannot write into or poll an app user's, a caller's or a web chat's conversation,
  nor use an id it made up; the web chat cannot resume a REST conversation.
- Hole 6: app tokens are verified once, by the app channel; the stored conversation holds the
  verified customer id, never the token.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import jwt
import requests

from tests.e2e.conversation import Conversation, forged_action_call, new_rest_sender, stored_tracker
from tests.e2e.socketio_client import QUIET, widget_client

ORDER_STATUS = "delivered"  # other tests leave the "delivered" orders from index 3 on alone
ORDER_INDEX = 4


def user_texts(stack: Any, sender: str) -> list[str]:
    return [e.get("text") for e in stored_tracker(stack, sender)["events"] if e["event"] == "user"]


def app_token(stack: Any, customer_id: str) -> str:
    now = int(time.time())
    claims = {"sub": customer_id, "iat": now, "exp": now + 600}
    return jwt.encode(claims, stack.secrets["APP_JWT_SECRET"], algorithm="HS256")


def app_conversation(stack: Any) -> tuple[str, str, dict]:
    """A logged-in customer's app conversation: (conversation id, their token, one of their orders)."""
    order = stack.order(ORDER_STATUS, ORDER_INDEX)
    token = app_token(stack, order["customer_id"])
    chat = Conversation(stack.rasa_url, channel="app", token=token)
    response = chat.send("hi")
    assert response.status_code == 200, response.text[:300]
    return response.json()[0]["recipient_id"], token, order


# --------------------------------------------------------------------------- hole 2: the action server


def post_to_actions(stack: Any, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{stack.actions_url}/webhook", data=body, headers=headers, timeout=10)


def test_a_forged_tracker_without_the_token_is_refused(stack: Any) -> None:
    order = stack.order(ORDER_STATUS, ORDER_INDEX)
    body = json.dumps(forged_action_call(order)).encode()
    wrong = "Bearer " + "0" * len(stack.secrets["ACTIONS_API_TOKEN"])
    for headers in ({"Content-Type": "application/json"}, {"Content-Type": "application/json", "Authorization": wrong}):
        response = post_to_actions(stack, body, headers)
        assert response.status_code == 401, (headers, response.status_code, response.text[:300])
        assert order["order_number"] not in response.text and order["email"] not in response.text


def test_a_text_plain_body_is_refused_even_with_the_token(stack: Any) -> None:
    """text/plain is what a web page can send without a CORS preflight."""
    body = json.dumps(forged_action_call(stack.order(ORDER_STATUS, ORDER_INDEX))).encode()
    authorization = f"Bearer {stack.secrets['ACTIONS_API_TOKEN']}"
    response = post_to_actions(stack, body, {"Content-Type": "text/plain", "Authorization": authorization})
    assert response.status_code == 415, response.text[:300]


def test_a_request_from_a_web_page_is_refused_even_with_the_token(stack: Any) -> None:
    body = json.dumps(forged_action_call(stack.order(ORDER_STATUS, ORDER_INDEX))).encode()
    authorization = f"Bearer {stack.secrets['ACTIONS_API_TOKEN']}"
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{stack.env['WEB_PORT']}"):
        headers = {"Content-Type": "text/plain", "Authorization": authorization, "Origin": origin}
        response = post_to_actions(stack, body, headers)
        assert response.status_code == 403, (origin, response.status_code, response.text[:300])
        assert "access-control-allow-origin" not in {k.lower() for k in response.headers}
    response = requests.get(f"{stack.actions_url}/actions", headers={"Origin": "http://evil.example"}, timeout=10)
    assert response.status_code == 403


def test_the_health_route_stays_open_and_rasa_still_reaches_the_actions(stack: Any) -> None:
    assert requests.get(f"{stack.actions_url}/health", timeout=10).status_code == 200
    assert requests.get(f"{stack.actions_url}/actions", timeout=10).status_code == 401
    # A custom action (the order lookup) answers through Rasa, which sends the token.
    order = stack.order("shipped", 3)
    chat = Conversation(stack.rasa_url)
    assert "order number" in chat.say("where is my order?").lower()
    reply = chat.say(order["order_number"])
    assert "went wrong" not in reply, reply  # the apology the shopper gets when no action answers


# --------------------------------------------------------------------------- hole 3: conversation ids


def test_rest_cannot_write_into_an_app_users_conversation(stack: Any) -> None:
    conversation_id, _, order = app_conversation(stack)
    before = user_texts(stack, conversation_id)
    response = Conversation(stack.rasa_url, sender=conversation_id).send(f"cancel order {order['order_number']}")
    assert response.status_code == 403 and "app channel" in response.json()["message"], response.text[:300]
    assert user_texts(stack, conversation_id) == before


def test_rest_cannot_write_into_a_call_or_a_made_up_or_forged_conversation(stack: Any) -> None:
    issued = new_rest_sender(stack.rasa_url)
    nonce, _, signature = issued.partition(".")
    forged = {
        "a call": "voice-CA" + "1" * 32,
        "made up": "visitor-7f3a",
        "forged signature": nonce + "." + ("0" if signature[0] != "0" else "1") + signature[1:],
        "another nonce": "rest-" + "f" * 32 + "." + signature,
    }
    for case, sender in forged.items():
        response = Conversation(stack.rasa_url, sender=sender).send("hi")
        assert response.status_code == 403, (case, response.status_code, response.text[:300])
        assert response.json()["error"] == "forbidden", case
    assert Conversation(stack.rasa_url, sender=issued).send("hi").status_code == 200


async def test_rest_and_the_web_chat_cannot_use_each_others_conversations(stack: Any) -> None:
    rest_chat = Conversation(stack.rasa_url)
    assert rest_chat.say("hi")
    async with widget_client(stack.rasa_url) as client:
        session_id = await client.start_session()
        assert session_id.startswith("web-")
        assert await client.say("hello")
        # REST into the web chat session
        response = Conversation(stack.rasa_url, sender=session_id).send("where is my order?")
        assert response.status_code == 403, response.text[:300]
        # the web chat offered the REST conversation's id: it gets a new session instead
        assert await client.start_session(rest_chat.sender) != rest_chat.sender
        await client.sio.emit("user_uttered", {"message": "sneaky", "session_id": rest_chat.sender})
        await asyncio.sleep(QUIET)
    assert user_texts(stack, session_id) == ["hello"]
    assert user_texts(stack, rest_chat.sender) == ["hi"]


def test_rest_polls_only_its_own_conversations(stack: Any) -> None:
    conversation_id, _, _ = app_conversation(stack)
    url = f"{stack.rasa_url}/webhooks/rest/messages"
    for sender in (conversation_id, "voice-CA" + "2" * 32, "visitor-7f3a"):
        response = requests.get(url, params={"sender": sender, "since": 0}, timeout=10)
        assert response.status_code == 403, (sender, response.status_code, response.text[:300])
    own = Conversation(stack.rasa_url)
    own.say("hi")
    response = requests.get(url, params={"sender": own.sender, "since": 0}, timeout=10)
    assert response.status_code == 200 and response.json() == []


# --------------------------------------------------------------------------- hole 6: one verifier


def test_the_stored_conversation_holds_the_customer_id_and_never_the_token(stack: Any) -> None:
    conversation_id, token, order = app_conversation(stack)
    chat = Conversation(stack.rasa_url, channel="app", token=token)
    listing = chat.say("where is my order?")
    assert "Your recent orders" in listing, listing  # recognised by the actions without a token
    stored = stored_tracker(stack, conversation_id)
    user_events = [e for e in stored["events"] if e["event"] == "user"]
    assert user_events and all(e["metadata"].get("customer_id") == order["customer_id"] for e in user_events)
    assert token not in json.dumps(stored)
    assert token.split(".")[2] not in json.dumps(stored)  # not even the signature
