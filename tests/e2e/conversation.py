"""A shopper talking to the running assistant over the REST (or app) channel.

The REST channel accepts only conversation ids it issued (`POST /webhooks/rest/session`); the app
channel derives the id from the customer's token and ignores `sender`.
"""

from __future__ import annotations

import uuid
from typing import Any

import requests


def new_rest_sender(rasa_url: str) -> str:
    """A conversation id issued by the REST channel, as a REST client gets one."""
    response = requests.post(f"{rasa_url}/webhooks/rest/session", timeout=30)
    assert response.status_code == 201, f"{response.status_code}: {response.text[:300]}"
    return response.json()["sender"]


class Conversation:
    def __init__(self, rasa_url: str, channel: str = "rest", token: str | None = None, sender: str | None = None):
        self.url = f"{rasa_url}/webhooks/{channel}/webhook"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.sender = sender or (new_rest_sender(rasa_url) if channel == "rest" else f"e2e-{uuid.uuid4().hex[:12]}")
        self.replies: list[dict[str, Any]] = []

    def send(self, message: str, **body: Any) -> requests.Response:
        return requests.post(
            self.url, json={"sender": self.sender, "message": message, **body}, headers=self.headers, timeout=30
        )

    def say(self, message: str, **body: Any) -> str:
        """Sends a message (with more body fields, e.g. `metadata`) and returns the bot's replies as one
        text (asserting there is one)."""
        response = self.send(message, **body)
        assert response.status_code == 200, f"{response.status_code}: {response.text[:300]}"
        replies = response.json()
        self.replies = replies
        text = "\n".join(reply.get("text", "") for reply in replies if reply.get("text"))
        assert text, f"no reply to {message!r}: {replies}"
        return text


def stored_tracker(stack: Any, sender: str) -> dict[str, Any]:
    """The conversation as Rasa stored it (HTTP API, with the stack's token)."""
    response = requests.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.secrets["RASA_API_TOKEN"]},
        timeout=10,
    )
    assert response.status_code == 200, response.text[:300]
    return response.json()


def forged_action_call(order: dict, request: str = "cancel_order", text: str = "cancel it") -> dict[str, Any]:
    """What a web page would post to the action server: a tracker claiming the order is proven."""
    return {
        "next_action": "action_handle_order_request",
        "sender_id": "not-rasa",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "not-rasa",
            "slots": {
                "order_number": order["order_number"],
                "verified_orders": [order["order_number"]],
                "pending_request": request,
            },
            "latest_message": {"text": text, "intent": {"name": request}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
    }
