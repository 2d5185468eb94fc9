"""What the order form and order request tests share: the app secret, and reading what an action said
and did. (The `app_user` fixture is in conftest.py.)"""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [message["text"] for message in dispatcher.messages]


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def followups(events: list[dict[str, Any]]) -> list[str]:
    return [event["name"] for event in events if event.get("event") == "followup"]
