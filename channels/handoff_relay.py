"""The agent-handoff relay: carries a human agent's words into the shopper's conversation.

While an agent holds a conversation, Rasa keeps it paused (`ConversationPaused`, set by
actions/handoff.py): the shopper's messages are still stored, but the bot does not answer. This
Rasa input channel, mounted at `/webhooks/handoff/`, is how the desk (handoff/) talks back:

- `POST /webhooks/handoff/agent_message` {conversation_id, text, agent_name}: the text is stored
  in the conversation as a bot message with `metadata.agent`, so it is in the transcript, and is
  delivered live where the channel can push (socket.io: the web widget); REST and app clients
  fetch it with `GET /webhooks/rest/messages` / `GET /webhooks/app/messages`.
- `POST /webhooks/handoff/release` {conversation_id, agent_name}: resumes the bot
  (`ConversationResumed`) and tells the shopper.

Both need `Authorization: Bearer <relay_token>`; shoppers never have it. The other direction,
a shopper's message in a held conversation, is forwarded to the desk by `forward_if_held`
(called by channels/guard.py, so every channel does it) and is never answered with an apology.

credentials.yml::

    channels.handoff_relay.HandoffRelayInput:
      relay_token: ${HANDOFF_RELAY_TOKEN}
      desk_url: ${HANDOFF_URL}
      desk_token: ${HANDOFF_API_TOKEN}
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.shop_policies import shop_policies
from channels.guard import RefusedRequest, json_object_body, refusal_response

logger = logging.getLogger(__name__)

MAX_AGENT_TEXT_CHARS = 5000
FORWARD_TIMEOUT_S = 3.0
# Channels that can push a message to the shopper at any time register a factory here.
_live_outputs: dict[str, Callable[[], OutputChannel]] = {}


def register_live_output(channel: str, factory: Callable[[], OutputChannel]) -> None:
    _live_outputs[channel] = factory


@dataclass
class _Runtime:
    """Set when the Rasa server starts with this channel configured."""

    agent: Any = None
    desk_url: str = ""
    desk_token: str = ""
    session: aiohttp.ClientSession | None = None
    forwarding: set[asyncio.Task[None]] | None = None


_runtime = _Runtime()


class HandoffRelayInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "handoff"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        token = str(credentials.get("relay_token") or "")
        if not token or token.startswith("${"):
            raise RasaException(
                "The handoff relay needs 'relay_token: ${HANDOFF_RELAY_TOKEN}' (unquoted) in credentials.yml "
                "and HANDOFF_RELAY_TOKEN set (bot/launcher.py does)."
            )
        return cls(token, str(credentials.get("desk_url") or ""), str(credentials.get("desk_token") or ""))

    def __init__(self, relay_token: str, desk_url: str, desk_token: str) -> None:
        self.relay_token = relay_token
        self.desk_url = desk_url.rstrip("/")
        self.desk_token = desk_token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        relay = Blueprint("handoff_relay", url_prefix="/webhooks/handoff")

        @relay.listener("after_server_start")
        async def remember_agent(app: Any, _loop: Any) -> None:
            _runtime.agent = app.ctx.agent
            _runtime.desk_url, _runtime.desk_token = self.desk_url, self.desk_token
            _runtime.forwarding = set()

        @relay.listener("before_server_stop")
        async def close_session(_app: Any, _loop: Any) -> None:
            if _runtime.session is not None:
                await _runtime.session.close()

        @relay.get("/")
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @relay.post("/agent_message")
        async def agent_message(request: Request) -> HTTPResponse:
            try:
                body = self._checked(request)
                text = _text(body, "text")
                agent_name = _text(body, "agent_name", limit=200)
            except RefusedRequest as refusal:
                return refusal_response(self.name(), request, refusal)
            event = BotUttered(text, metadata={"agent": agent_name, "handoff": True})
            return await _store_and_deliver(request, body["conversation_id"], [event], pause=True)

        @relay.post("/release")
        async def release(request: Request) -> HTTPResponse:
            try:
                body = self._checked(request)
                agent_name = _text(body, "agent_name", limit=200)
            except RefusedRequest as refusal:
                return refusal_response(self.name(), request, refusal)
            back = BotUttered(shop_policies().message("handoff_resumed"), metadata={"handoff": True})
            logger.info("agent %s handed %s back to the bot", agent_name, body["conversation_id"])
            # The pause stopped the bot right after action_handoff, before it listened: listening
            # now makes the next message look to the rules like any other (slots are kept).
            events = [ConversationResumed(), ActionExecuted(ACTION_LISTEN_NAME), back]
            return await _store_and_deliver(request, body["conversation_id"], events)

        return relay

    def _checked(self, request: Request) -> dict[str, Any]:
        header = request.headers.get("Authorization") or ""
        if not hmac.compare_digest(header.encode(), f"Bearer {self.relay_token}".encode()):
            raise RefusedRequest(401, "unauthorized", "a valid relay token is required")
        body = json_object_body(request, 64 * 1024)
        _text(body, "conversation_id", limit=256)
        return body


def _text(body: dict[str, Any], key: str, limit: int = MAX_AGENT_TEXT_CHARS) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise RefusedRequest(400, "bad_request", f"'{key}' must be a non-empty string of at most {limit} characters")
    return value.strip()


async def _store_and_deliver(
    request: Request, conversation_id: str, events: list[Any], pause: bool = False
) -> HTTPResponse:
    """Appends the events under the conversation's lock, then sends the bot messages among them.

    With `pause`, a conversation the bot is still answering is paused first: an agent who takes a
    ticket that reached the desk late (it waited in the outbox) still gets the bot out of the way."""
    agent = request.app.ctx.agent
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.tracker_store.retrieve(conversation_id)
        if tracker is None:
            return response.json({"error": "not_found", "message": "no such conversation"}, status=404)
        if pause and not tracker.is_paused():
            tracker.update(ConversationPaused())
        for event in events:
            tracker.update(event)
        await agent.tracker_store.save(tracker)
    channel = tracker.get_latest_input_channel()
    factory = _live_outputs.get(channel or "")
    if factory is None:
        return response.json({"delivered": "stored", "channel": channel})
    output = factory()
    for event in events:
        if isinstance(event, BotUttered):
            await output.send_response(conversation_id, event.message())
    return response.json({"delivered": "live", "channel": channel})


async def messages_since(conversation_id: str, since: float, agent: Any) -> list[dict[str, Any]]:
    """Messages from the hand-off (agent replies, hand-back) after `since`, for clients that poll."""
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return []
    return [
        {
            "recipient_id": conversation_id,
            "text": event.text,
            "timestamp": event.timestamp,
            "agent": (event.metadata or {}).get("agent"),
        }
        for event in tracker.events
        if isinstance(event, BotUttered) and (event.metadata or {}).get("handoff") and event.timestamp > since
    ]


async def forward_if_held(conversation_id: str, text: str) -> bool:
    """True when the conversation is paused for an agent; the message then goes to the desk."""
    agent = _runtime.agent
    if agent is None:
        return False
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None or not tracker.is_paused():
        return False
    task = asyncio.get_running_loop().create_task(_forward(conversation_id, text, time.time()))
    assert _runtime.forwarding is not None
    _runtime.forwarding.add(task)
    task.add_done_callback(_runtime.forwarding.discard)
    return True


async def _forward(conversation_id: str, text: str, timestamp: float) -> None:
    """The message is already in the tracker store; a failure here only delays the agent seeing it."""
    if not _runtime.desk_url:
        logger.error("message in held conversation %s not forwarded: no desk_url configured", conversation_id)
        return
    if _runtime.session is None or _runtime.session.closed:
        _runtime.session = aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {_runtime.desk_token}"},
            timeout=aiohttp.ClientTimeout(total=FORWARD_TIMEOUT_S),
        )
    url = f"{_runtime.desk_url}/api/conversations/{quote(conversation_id, safe='')}/messages"
    try:
        async with _runtime.session.post(url, json={"text": text, "timestamp": timestamp}) as reply:
            if reply.status >= 300:
                logger.error("desk refused a message of %s: HTTP %s", conversation_id, reply.status)
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        logger.error("desk unreachable; the message of %s stays in its tracker: %s", conversation_id, error)
