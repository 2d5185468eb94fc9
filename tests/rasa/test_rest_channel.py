"""The public REST channel (channels.rest) in a real Rasa app: server-issued conversation ids only.

A REST client could name any conversation as its `sender`: write into an app user's or a caller's
conversation (and, during a hand-off, reach the agent as that customer) or poll the agent's replies
to it. These tests are those attacks; the channel must refuse each with a clear 403 and let nothing
reach the agent. Same set-up as test_app_channel.py (Rasa's Sanic app, a recording agent).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.exceptions import RasaException

from channels.conversation_ids import ConversationIds
from channels.rest import ShopRestInput
from tests.rasa.test_app_channel import ID_SECRET, REST_IDS, RecordingAgent, serve

WEBHOOK = "/webhooks/rest/webhook"
SESSION = "/webhooks/rest/session"
MESSAGES = "/webhooks/rest/messages"
APP_ID = "app-0123456789abcdef0123"
VOICE_ID = "voice-CA0123"


class StoringAgent(RecordingAgent):
    """Records messages and has Rasa's real in-memory stores, for the agent-reply poll."""

    def __init__(self) -> None:
        super().__init__()
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.lock_store = InMemoryLockStore()

    async def add_agent_reply(self, conversation_id: str, text: str) -> None:
        tracker = await self.tracker_store.get_or_create_tracker(conversation_id)
        tracker.update(UserUttered("I want a human", input_channel="app"))
        tracker.update(BotUttered(text, metadata={"agent": "Alex", "handoff": True}))
        await self.tracker_store.save(tracker)


def rest_channel() -> ShopRestInput:
    return ShopRestInput.from_credentials({"id_secret": ID_SECRET})  # type: ignore[return-value]


async def request(method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.request(method, url, **kwargs) as resp:
        return resp.status, await resp.json(content_type=None)


async def new_sender(base: str) -> str:
    status, body = await request("POST", base + SESSION)
    assert status == 201, body
    return body["sender"]


async def test_a_conversation_id_from_the_session_route_works() -> None:
    async with serve(rest_channel()) as (base, agent):
        sender = await new_sender(base)
        status, replies = await request("POST", base + WEBHOOK, json={"sender": sender, "message": "hi"})
        assert (status, replies) == (200, [{"recipient_id": sender, "text": "echo: hi"}])
        assert sender != await new_sender(base)
    assert sender.startswith("rest-") and REST_IDS.is_valid(sender)
    [message] = agent.messages
    assert (message.sender_id, message.input_channel) == (sender, "rest")


FORGED = {
    "an app user's conversation": APP_ID,
    "a phone call's conversation": VOICE_ID,
    "a web chat session": ConversationIds(ID_SECRET, channel="socketio", prefix="web-").issue(),
    "a made-up id": "visitor-7f3a",
    "a REST id with a forged signature": "rest-" + "0" * 32 + "." + "f" * 32,
    "a REST id signed with another key": ConversationIds("another-key-" + "k" * 32, "rest", "rest-").issue(),
}


@pytest.mark.parametrize("sender", FORGED.values(), ids=FORGED.keys())
async def test_a_sender_the_channel_did_not_issue_is_refused(sender: str) -> None:
    async with serve(rest_channel()) as (base, agent):
        status, body = await request("POST", base + WEBHOOK, json={"sender": sender, "message": "cancel my order"})
    assert status == 403 and body["error"] == "forbidden", body
    assert agent.messages == []


async def test_another_channels_id_is_named_in_the_refusal() -> None:
    async with serve(rest_channel()) as (base, _):
        _, app = await request("POST", base + WEBHOOK, json={"sender": APP_ID, "message": "hi"})
        _, voice = await request("POST", base + WEBHOOK, json={"sender": VOICE_ID, "message": "hi"})
        _, made_up = await request("POST", base + WEBHOOK, json={"sender": "visitor-1", "message": "hi"})
    assert "app channel" in app["message"] and "voice channel" in voice["message"]
    assert "POST /webhooks/rest/session" in made_up["message"]


async def test_a_missing_sender_is_answered_with_how_to_get_one() -> None:
    async with serve(rest_channel()) as (base, agent):
        status, body = await request("POST", base + WEBHOOK, json={"message": "hi"})
    assert status == 400 and "POST /webhooks/rest/session" in body["message"]
    assert agent.messages == []


async def test_polling_another_conversations_agent_replies_is_refused() -> None:
    agent = StoringAgent()
    async with serve(rest_channel(), agent=agent) as (base, _):
        await agent.add_agent_reply(APP_ID, "Your parcel goes to 12 Elm Street")
        for sender in FORGED.values():
            status, body = await request("GET", base + MESSAGES, params={"sender": sender, "since": "0"})
            assert status == 403, (sender, body)
            assert "Elm Street" not in str(body)
        own = await new_sender(base)
        await agent.add_agent_reply(own, "Hi, I'm Alex")
        status, polled = await request("GET", base + MESSAGES, params={"sender": own, "since": "0"})
    assert status == 200 and [m["text"] for m in polled] == ["Hi, I'm Alex"]


def test_the_channel_needs_its_id_secret() -> None:
    for credentials in ({}, {"id_secret": "${CONVERSATION_ID_SECRET}"}):
        with pytest.raises(RasaException, match="CONVERSATION_ID_SECRET"):
            ShopRestInput.from_credentials(credentials)
