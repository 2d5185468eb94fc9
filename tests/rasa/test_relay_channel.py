"""The agent-handoff relay channel (channels/handoff_relay.py) in Rasa's own Sanic app.

Runs in the Rasa venv with Rasa's real in-memory tracker and lock stores. The agent is a stub
that stores each user message and answers unless the conversation is paused, the way Rasa's
processor behaves; the full stack (real processor, real desk) is tested in
tests/e2e/test_handoff_conversations.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered
from rasa.shared.exceptions import RasaException

from channels.conversation_ids import ConversationIds
from channels.handoff_relay import HandoffRelayInput
from channels.rest import SENDER_PREFIX, ShopRestInput
from tests.rasa.test_app_channel import free_port
from tests.rasa.test_app_channel import serve as serve_channels

RELAY_TOKEN = "relay-" + "r" * 40
ID_SECRET = "conversation-ids-" + "i" * 40
# The REST channel accepts only conversation ids it issued (channels/conversation_ids.py).
REST_IDS = ConversationIds(ID_SECRET, channel="rest", prefix=SENDER_PREFIX)
SHOPPER, SILENT, LATE = (REST_IDS.issue() for _ in range(3))


class StoringAgent:
    """Rasa's Agent as far as the channels see it: stores, and answers unless paused."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.lock_store = InMemoryLockStore()

    async def handle_message(self, message: UserMessage) -> None:
        async with self.lock_store.lock(message.sender_id):
            tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
            tracker.update(UserUttered(message.text, input_channel=message.input_channel))
            if not tracker.is_paused():
                tracker.update(BotUttered("bot answer"))
                await message.output_channel.send_text_message(message.sender_id, "bot answer")
            await self.tracker_store.save(tracker)


class Desk:
    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/conversations/{conversation_id}/messages", self.receive)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer desk-token"
        self.messages.append((request.match_info["conversation_id"], await request.json()))
        return web.json_response({}, status=202)


def serve(desk_url: str) -> AbstractAsyncContextManager[tuple[str, StoringAgent]]:
    relay = HandoffRelayInput.from_credentials(
        {"relay_token": RELAY_TOKEN, "desk_url": desk_url, "desk_token": "desk-token"}
    )
    return serve_channels(relay, ShopRestInput(id_secret=ID_SECRET), agent=StoringAgent())


async def call(method: str, url: str, body: Any = None, token: str | None = RELAY_TOKEN) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.request(method, url, json=body, headers=headers) as reply:
        return reply.status, await reply.json(content_type=None)


async def pause(agent: StoringAgent, sender: str) -> None:
    tracker = await agent.tracker_store.get_or_create_tracker(sender)
    tracker.update(UserUttered("I want a human", input_channel="rest"))
    tracker.update(ConversationPaused())
    await agent.tracker_store.save(tracker)


@pytest.fixture
async def desk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[tuple[Desk, str]]:
    monkeypatch.setenv("ASSISTANT_VAR", str(tmp_path))  # the relay's forwarding queue (a SQLite file)
    fake = Desk()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield fake, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_held_conversation_goes_to_the_desk_without_an_apology_and_agent_replies_come_back(desk) -> None:
    fake, desk_url = desk
    async with serve(desk_url) as (base, agent):
        await pause(agent, SHOPPER)
        status, replies = await call("POST", f"{base}/webhooks/rest/webhook", {"sender": SHOPPER, "message": "hello?"})
        assert status == 200 and replies == []  # no bot answer and no "something went wrong"
        for _ in range(50):
            if fake.messages:
                break
            await asyncio.sleep(0.05)
        assert fake.messages[0][0] == SHOPPER and fake.messages[0][1]["text"] == "hello?"

        body = {"conversation_id": SHOPPER, "text": "Hi, I'm Alex. Let me check.", "agent_name": "Alex"}
        status, result = await call("POST", f"{base}/webhooks/handoff/agent_message", body)
        assert status == 200 and result["delivered"] == "stored"  # REST clients poll
        status, polled = await call("GET", f"{base}/webhooks/rest/messages?sender={SHOPPER}&since=0", token=None)
        assert [(m["text"], m["agent"]) for m in polled] == [("Hi, I'm Alex. Let me check.", "Alex")]
        later = polled[0]["timestamp"]
        status, polled = await call("GET", f"{base}/webhooks/rest/messages?sender={SHOPPER}&since={later}", token=None)
        assert polled == []

        status, _ = await call(
            "POST", f"{base}/webhooks/handoff/release", {"conversation_id": SHOPPER, "agent_name": "Alex"}
        )
        assert status == 200
        tracker = await agent.tracker_store.retrieve(SHOPPER)
        assert tracker is not None and not tracker.is_paused()
        status, replies = await call("POST", f"{base}/webhooks/rest/webhook", {"sender": SHOPPER, "message": "thanks"})
        assert replies == [{"recipient_id": SHOPPER, "text": "bot answer"}]
        assert len(fake.messages) == 1


async def test_a_conversation_that_is_not_held_still_gets_the_apology_for_silence(desk) -> None:
    _, desk_url = desk

    async with serve(desk_url) as (base, agent):

        async def silent(message: UserMessage) -> None:
            return None

        agent.handle_message = silent  # type: ignore[method-assign]
        status, replies = await call("POST", f"{base}/webhooks/rest/webhook", {"sender": SILENT, "message": "hi"})
        assert status == 200 and "went wrong" in replies[0]["text"]


@pytest.mark.parametrize(
    ("token", "body", "status"),
    [
        (None, {"conversation_id": "x", "text": "t", "agent_name": "a"}, 401),
        ("wrong", {"conversation_id": "x", "text": "t", "agent_name": "a"}, 401),
        (RELAY_TOKEN, {"conversation_id": "x", "text": "", "agent_name": "a"}, 400),
        (RELAY_TOKEN, {"conversation_id": "x", "text": "t" * 5001, "agent_name": "a"}, 400),
        (RELAY_TOKEN, {"text": "t", "agent_name": "a"}, 400),
        (RELAY_TOKEN, {"conversation_id": "never-seen", "text": "t", "agent_name": "a"}, 404),
    ],
)
async def test_relay_refuses_what_it_must(desk, token: str | None, body: dict[str, Any], status: int) -> None:
    _, desk_url = desk
    async with serve(desk_url) as (base, _agent):
        got, answer = await call("POST", f"{base}/webhooks/handoff/agent_message", body, token=token)
    assert got == status and answer["message"]


def test_relay_needs_its_token_configured() -> None:
    with pytest.raises(RasaException, match="HANDOFF_RELAY_TOKEN"):
        HandoffRelayInput.from_credentials({"relay_token": "${HANDOFF_RELAY_TOKEN}"})


async def test_an_agent_message_pauses_a_conversation_the_bot_still_answers(desk) -> None:
    _, desk_url = desk
    async with serve(desk_url) as (base, _agent):
        await call("POST", f"{base}/webhooks/rest/webhook", {"sender": LATE, "message": "hi"})
        body = {"conversation_id": LATE, "text": "Hi, I got your ticket.", "agent_name": "Alex"}
        status, _ = await call("POST", f"{base}/webhooks/handoff/agent_message", body)
        assert status == 200
        status, replies = await call("POST", f"{base}/webhooks/rest/webhook", {"sender": LATE, "message": "great"})
        assert replies == []  # paused: the agent answers now, not the bot
