"""Typed async client of Rasa's own HTTP API, for services that speak into a conversation on their own.

Rasa's `--auth-token` is checked as the `token` query parameter (Rasa's `requires_auth`), not as a
bearer header, so every call adds it. Only two calls are needed: a conversation's current state
(without its events) and the trigger-intent API, which runs the dialogue for an intent as if the
shopper had said it and sends the replies to the channel the shopper last wrote on
(`output_channel=latest`). A trigger is a write: sent once, never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from service_clients.http import JsonServiceClient, Retryable

DEFAULT_URL = "http://127.0.0.1:5005"


class AssistantUnavailable(Exception):
    """Rasa is down, slow or refused the call."""


@dataclass(frozen=True)
class ConversationState:
    """What a service needs to know before speaking into a conversation."""

    input_channel: str | None  # None: the shopper has never written in it
    active_form: str | None  # a form is asking its questions
    paused: bool  # an agent holds it (hand-off)


class AssistantClient(JsonServiceClient):
    service = "assistant"
    unavailable = AssistantUnavailable
    actor = ""
    env_prefix = "RASA"  # RASA_URL, RASA_API_TOKEN, RASA_TIMEOUT_S
    default_url = DEFAULT_URL
    default_timeout_s = 5.0  # a trigger runs a whole turn, action calls included

    def __init__(self, base_url: str, token: str, timeout_s: float = 5.0, get_retries: int = 2) -> None:
        super().__init__(base_url, token, timeout_s=timeout_s, get_retries=get_retries)
        self._token = token

    async def conversation(self, conversation_id: str) -> ConversationState:
        data = await self._get(
            f"/conversations/{quote(conversation_id, safe='')}/tracker",
            {"include_events": "NONE", "token": self._token},
        )
        loop = data.get("active_loop")
        form = loop.get("name") if isinstance(loop, Mapping) else None
        channel = data.get("latest_input_channel")
        return ConversationState(
            input_channel=channel if isinstance(channel, str) and channel else None,
            active_form=form if isinstance(form, str) and form else None,
            paused=bool(data.get("paused")),
        )

    async def trigger_intent(self, conversation_id: str, intent: str, entities: Mapping[str, str]) -> bool:
        """Whether the dialogue said anything (read from the tracker Rasa answers with). Sent once:
        a lost answer may mean the message was said. The token rides as a parameter, so it never
        appears in a logged path."""
        path = f"/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        body: dict[str, Any] = {"name": intent, "entities": dict(entities)}
        params = {"output_channel": "latest", "include_events": "APPLIED", "token": self._token}
        try:
            answer = await self._request("POST", path, json=body, params=params)
        except Retryable as error:
            raise error.final from error
        return said_after_last_user_event(answer.get("tracker"))


def said_after_last_user_event(tracker: object) -> bool:
    """Whether the turn the trigger ran said anything: a `bot` event after the newest `user` event.
    (Rasa lists the replies in `messages` only for a collecting channel; to a live channel they
    are sent, and the tracker is the record.)"""
    events = tracker.get("events") if isinstance(tracker, Mapping) else None
    if not isinstance(events, list):
        return False
    for event in reversed(events):
        kind = event.get("event") if isinstance(event, Mapping) else None
        if kind == "bot":
            return True
        if kind == "user":
            return False
    return False
