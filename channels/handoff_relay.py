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

Both need `Authorization: Bearer <relay_token>`; shoppers never have it. The answer says
`"delivered": "live"` only when a browser of the conversation is connected (socket.io); otherwise
`"stored"`, and a web chat that reconnects to its session gets the stored replies then
(`HandoffRelay.replay_stored`, called by channels/webchat.py). Channels that can push are the
server's input channels that are a `LiveChannel` (channels/webchat.py), found when the server starts.

The other direction, a shopper's message in a held conversation, is handed to
`HandoffRelay.forward_if_held` (called by channels/guard.py, so every channel does it) and is never
answered with an apology. It is written to a queue on disk (var/handoff-forward.sqlite) before the
shopper's request is answered, and a background task sends it to the desk, in order, until the desk
takes it; each message carries an idempotency key, so a retry after a lost answer is stored once.

The relay's state (agent, desk session, queue, forwarding task, live channels) is one `HandoffRelay`
per server, created when the server starts and kept on the Sanic app (`relay_of(app)`), not in
module globals: two servers in one process (as in tests) share nothing.

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
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    AgentUttered,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.refusals import RefusedRequest, json_object_body, refusal_response
from contracts import satisfaction
from contracts.handoff_queue import DurableQueue
from contracts.shop_policies import shop_policies

logger = logging.getLogger(__name__)

MAX_AGENT_TEXT_CHARS = 5000
FORWARD_TIMEOUT_S = 3.0
FORWARD_RETRY_S = float(os.environ.get("HANDOFF_FORWARD_RETRY_S", "5"))
# Marks (in AgentUttered.data, an event policies ignore) how far stored agent replies were replayed.
REPLAYED = "handoff_replayed_until"
# The attribute of the Sanic app's `ctx` that holds the started relay.
RELAY_KEY = "handoff_relay"


@runtime_checkable
class LiveChannel(Protocol):
    """An input channel that can push a message to the shopper at any time (socket.io can; REST cannot)."""

    def name(self) -> str: ...

    def live_output(self) -> OutputChannel:
        """An output channel that pushes to the clients of a conversation."""
        ...

    async def client_connected(self, conversation_id: str) -> bool:
        """Whether a client of the conversation would see a push now (on this worker or another)."""
        ...


def forward_queue_path() -> Path:
    var = Path(os.environ.get("ASSISTANT_VAR", Path(__file__).resolve().parent.parent / "var"))
    return var / "handoff-forward.sqlite"


class DeskDown(Exception):
    """The desk did not take a forwarded message this time (unreachable, 5xx, auth, rate limit)."""


class DeskRefused(Exception):
    """The desk refused a forwarded message for good (e.g. 404: the conversation has no open ticket)."""


class HandoffRelay:
    """The relay of one running Rasa server, created when it starts with the handoff channel configured."""

    def __init__(
        self,
        agent: Any,
        desk_url: str,
        desk_token: str,
        queue: DurableQueue,
        live_channels: Mapping[str, LiveChannel],
        retry_every_s: float = FORWARD_RETRY_S,
    ) -> None:
        self.agent = agent
        self.desk_url = desk_url
        self.desk_token = desk_token
        self.queue = queue
        self.live_channels = dict(live_channels)
        self.retry_every_s = retry_every_s
        self.wake = asyncio.Event()
        self.session: aiohttp.ClientSession | None = None
        self.forwarder: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Starts forwarding queued shopper messages (what an earlier run left on disk too)."""
        self.forwarder = asyncio.get_running_loop().create_task(self._forward_loop())

    async def stop(self) -> None:
        if self.forwarder is not None:
            self.forwarder.cancel()
            await asyncio.wait({self.forwarder}, timeout=5)
        if self.session is not None:
            await self.session.close()

    async def client_connected(self, channel: str | None, conversation_id: str) -> bool:
        """A push would reach the shopper now: the channel can push and a client is there."""
        live = self.live_channels.get(channel or "")
        return live is not None and await live.client_connected(conversation_id)

    def live_output(self, channel: str) -> OutputChannel:
        return self.live_channels[channel].live_output()

    async def replay_stored(self, conversation_id: str, output: OutputChannel) -> int:
        """Sends a reconnected client the agent's replies it missed, once: a marker event records how far."""
        agent = self.agent
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.retrieve(conversation_id)
            owed = [] if tracker is None else owed_replies(list(tracker.events))
            for event in owed:
                await output.send_response(conversation_id, event.message())
            if owed:
                tracker.update(AgentUttered(data={REPLAYED: owed[-1].timestamp}))
                await agent.tracker_store.save(tracker)
        if owed:
            logger.info("replayed %d stored hand-off message(s) to %s", len(owed), conversation_id)
        return len(owed)

    async def forward_if_held(self, conversation_id: str, text: str) -> bool:
        """True when the conversation is paused for an agent; the message is then queued on disk (before
        the caller answers the shopper) and sent to the desk by the forwarding task."""
        tracker = await self.agent.tracker_store.retrieve(conversation_id)
        if tracker is None or not tracker.is_paused():
            return False
        message = {"conversation_id": conversation_id, "text": text, "timestamp": time.time(), "key": uuid.uuid4().hex}
        self.queue.put(message)
        self.wake.set()
        return True

    async def _forward_loop(self) -> None:
        """Sends queued shopper messages to the desk: at once when one is queued, and every
        `retry_every_s` while the desk is away. Stops at the first failure so the order holds."""
        while True:
            try:
                await self.queue.send_pending(self._send_to_desk, permanent=(DeskRefused,), transient=(DeskDown,))
            except Exception:  # a bug must not end forwarding for good
                logger.exception("forwarding queued shopper messages to the desk failed")
            # asyncio.wait, not wait_for: Python 3.10's wait_for can swallow the cancellation at shutdown.
            woken = asyncio.ensure_future(self.wake.wait())
            try:
                await asyncio.wait({woken}, timeout=self.retry_every_s)
            finally:
                woken.cancel()
            self.wake.clear()

    async def _send_to_desk(self, message: Mapping[str, Any]) -> None:
        conversation_id = str(message["conversation_id"])
        if not self.desk_url:
            raise DeskDown(f"message in held conversation {conversation_id} waits: no desk_url configured")
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {self.desk_token}"},
                timeout=aiohttp.ClientTimeout(total=FORWARD_TIMEOUT_S),
            )
        url = f"{self.desk_url}/api/conversations/{quote(conversation_id, safe='')}/messages"
        body = {"text": message["text"], "timestamp": message["timestamp"], "key": message["key"]}
        try:
            async with self.session.post(url, json=body) as reply:
                status = reply.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise DeskDown(f"desk unreachable for a message of {conversation_id}: {error!r}") from error
        if status < 300:
            return
        if status >= 500 or status in (401, 403, 408, 429):
            raise DeskDown(f"desk answered HTTP {status} to a message of {conversation_id}")
        raise DeskRefused(f"desk refused a message of {conversation_id} with HTTP {status} (kept in its tracker)")


def relay_of(app: Any) -> HandoffRelay | None:
    """The relay of the server `app` runs, once it has started; None without the handoff channel."""
    relay = getattr(app.ctx, RELAY_KEY, None)
    return relay if isinstance(relay, HandoffRelay) else None


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
        async def start_relay(app: Any, _loop: Any) -> None:
            live = {
                channel.name(): channel
                for channel in getattr(app.ctx, "input_channels", None) or ()
                if isinstance(channel, LiveChannel)
            }
            started = HandoffRelay(
                app.ctx.agent,
                self.desk_url,
                self.desk_token,
                DurableQueue(forward_queue_path()),
                live,
                retry_every_s=FORWARD_RETRY_S,
            )
            setattr(app.ctx, RELAY_KEY, started)
            started.start()

        @relay.listener("before_server_stop")
        async def stop_relay(app: Any, _loop: Any) -> None:
            started = relay_of(app)
            if started is not None:
                await started.stop()

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
            return await _store_and_deliver(request, body["conversation_id"], events, ask_rating=True)

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
    request: Request, conversation_id: str, events: list[Any], pause: bool = False, ask_rating: bool = False
) -> HTTPResponse:
    """Appends the events under the conversation's lock, then sends the bot messages among them.

    With `pause`, a conversation the bot is still answering is paused first: an agent who takes a
    ticket that reached the desk late (it waited in the outbox) still gets the bot out of the way.
    With `ask_rating` (the hand-back), the rating question follows when contracts/satisfaction.py
    says so: the conversation the agent just finished is one the shopper can rate."""
    relay = relay_of(request.app)
    assert relay is not None  # started with the server, before the server takes requests
    agent = request.app.ctx.agent
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.tracker_store.retrieve(conversation_id)
        if tracker is None:
            return response.json({"error": "not_found", "message": "no such conversation"}, status=404)
        channel = tracker.get_latest_input_channel()
        delivered = "live" if await relay.client_connected(channel, conversation_id) else "stored"
        if pause and not tracker.is_paused():
            tracker.update(ConversationPaused())
        if ask_rating:
            events = events + rating_question(tracker)
        for event in events:
            if isinstance(event, BotUttered):
                event.metadata["delivered"] = delivered  # a reconnecting web chat replays "stored" ones
            tracker.update(event)
        await agent.tracker_store.save(tracker)
    if delivered == "stored":
        return response.json({"delivered": "stored", "channel": channel})
    output = relay.live_output(channel or "")
    for event in events:
        if isinstance(event, BotUttered):
            await output.send_response(conversation_id, event.message())
    return response.json({"delivered": "live", "channel": channel})


def rating_question(tracker: DialogueStateTracker) -> list[Event]:
    """The rating question after a hand-back, as if action_ask_satisfaction had run: the rules read a
    bare answer ("5") after that action as the rating (bot/data/rules.yml); [] when not to ask."""
    past = [event.as_dict() for event in tracker.events]
    if not satisfaction.should_ask(past, leaving=True, active_loop=tracker.active_loop_name):
        return []
    asked = satisfaction.question()
    question = BotUttered(asked["text"], data={"buttons": asked["buttons"]}, metadata={"handoff": True})
    return [ActionExecuted(satisfaction.ASK_ACTION), question, ActionExecuted(ACTION_LISTEN_NAME)]


def owed_replies(events: list[Event]) -> list[BotUttered]:
    """Hand-off messages stored while no client was connected and not replayed since."""
    owed: list[BotUttered] = []
    for event in events:
        if isinstance(event, AgentUttered) and REPLAYED in (event.data or {}):
            owed = []
        elif isinstance(event, BotUttered) and (event.metadata or {}).get("delivered") == "stored":
            owed.append(event)
    return owed


async def messages_since(conversation_id: str, since: float, agent: Any) -> list[dict[str, Any]]:
    """Messages from the hand-off (agent replies, hand-back, the rating question with its buttons) after
    `since`, for clients that poll."""
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return []
    return [
        {
            "recipient_id": conversation_id,
            "text": event.text,
            "timestamp": event.timestamp,
            "agent": (event.metadata or {}).get("agent"),
            **({"buttons": event.data["buttons"]} if (event.data or {}).get("buttons") else {}),
        }
        for event in tracker.events
        if isinstance(event, BotUttered) and (event.metadata or {}).get("handoff") and event.timestamp > since
    ]
