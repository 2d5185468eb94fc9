"""The socket.io channel of the running stack, spoken to the way the rasa-webchat widget does.

The widget (socket.io-client 3, engine.io protocol 4) connects to ``/socket.io``, emits
``session_request``, gets ``session_confirm`` with its session id, then sends ``user_uttered``
``{message, session_id, customData}`` and shows every ``bot_uttered``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.e2e.socketio_client import QUIET, widget_client


def shown(reply: dict[str, Any]) -> bool:
    """Something the widget would display: text, quick replies, an attachment or custom data."""
    return bool(reply.get("text") or reply.get("quick_replies") or reply.get("attachment") or reply)


async def tracker(stack: Any, sender_id: str) -> dict[str, Any]:
    # Rasa's --auth-token is accepted only as ?token= (a Bearer header must be a --jwt-secret JWT).
    params = {"token": stack.secrets["RASA_API_TOKEN"]}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{stack.rasa_url}/conversations/{sender_id}/tracker", params=params) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return await resp.json()


def user_texts(tracker_json: dict[str, Any]) -> list[str]:
    return [e.get("text") for e in tracker_json["events"] if e["event"] == "user"]


async def test_hi_gets_a_bot_reply(stack: Any) -> None:
    async with widget_client(stack.rasa_url) as client:
        session_id = await client.start_session()
        replies = await client.say("hi")
    assert session_id.startswith("web-")  # issued and signed by the server (channels/conversation_ids.py)
    assert replies and all(shown(r) for r in replies), replies
    conversation = await tracker(stack, session_id)
    assert user_texts(conversation) == ["hi"]
    assert conversation["latest_message"]["intent"]["name"] == "greet"
    user_event = next(e for e in conversation["events"] if e["event"] == "user")
    assert user_event["input_channel"] == "socketio"


async def test_two_clients_get_separate_conversations(stack: Any) -> None:
    async with widget_client(stack.rasa_url) as first, widget_client(stack.rasa_url) as second:
        first_id = await first.start_session()
        second_id = await second.start_session()
        assert first_id != second_id
        assert await first.say("hi")
        assert await second.say("hello there")
        # Neither client received the other's replies.
        assert first.replies.empty() and second.replies.empty()
    assert user_texts(await tracker(stack, first_id)) == ["hi"]
    assert user_texts(await tracker(stack, second_id)) == ["hello there"]


async def test_reconnecting_with_the_session_id_continues_the_conversation(stack: Any) -> None:
    """What the widget does after a page reload (session_persistence: true)."""
    async with widget_client(stack.rasa_url) as client:
        session_id = await client.start_session()
        assert await client.say("hi")
    async with widget_client(stack.rasa_url) as client:
        assert await client.start_session(session_id) == session_id
        assert await client.say("thanks")
    assert user_texts(await tracker(stack, session_id)) == ["hi", "thanks"]


async def test_a_message_without_a_session_is_ignored(stack: Any) -> None:
    async with widget_client(stack.rasa_url) as client:
        await client.sio.emit("user_uttered", {"message": "hi"})
        await asyncio.sleep(QUIET)
        assert client.replies.empty()
