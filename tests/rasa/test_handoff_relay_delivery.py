"""Hand-off durability in the Rasa process (channels/handoff_relay.py), with Rasa's own Sanic app,
tracker and lock stores:

- shopper messages for the agent are queued on disk before the shopper is answered and reach the
  desk once it is back, in order, each once (with an idempotency key the desk de-duplicates by;
  the real desk's side of that is tested in tests/handoff/test_handoff_api.py);
- an agent reply to a web chat with no browser connected is reported "stored", not "live", and the
  web chat gets it when it reconnects to its session, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from rasa.shared.core.events import ConversationPaused, UserUttered

from channels import handoff_relay
from channels.handoff_relay import HandoffRelayInput
from channels.webchat import socketio_room_occupied
from tests.rasa.test_app_channel import free_port, socket_client, webchat_channel
from tests.rasa.test_app_channel import serve as serve_channels
from tests.rasa.test_relay_channel import RELAY_TOKEN, SHOPPER, StoringAgent, call, pause, serve


class FlakyDesk:
    """The desk's message route; `down` answers 503 like a desk that is restarting."""

    def __init__(self) -> None:
        self.down = False
        self.lose_next_answer = False
        self.received: list[tuple[str, dict[str, Any]]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/conversations/{conversation_id}/messages", self.receive)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        if self.down:
            return web.json_response({"error": {"code": "unavailable", "message": "restarting"}}, status=503)
        self.received.append((request.match_info["conversation_id"], await request.json()))
        if self.lose_next_answer:  # stored, but the answer never arrives
            self.lose_next_answer = False
            return web.json_response({"error": {"code": "unavailable", "message": "gateway"}}, status=502)
        return web.json_response({"ticket_id": 1}, status=201)


@pytest.fixture
async def flaky_desk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[tuple[FlakyDesk, str]]:
    monkeypatch.setenv("ASSISTANT_VAR", str(tmp_path))  # the forwarding queue's file lives there
    monkeypatch.setattr(handoff_relay, "FORWARD_RETRY_S", 0.2)
    desk = FlakyDesk()
    runner = web.AppRunner(desk.app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield desk, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def eventually(condition: Any, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_messages_written_while_the_desk_is_down_arrive_once_it_is_back(flaky_desk) -> None:
    desk, desk_url = flaky_desk
    desk.down = True
    async with serve(desk_url) as (base, agent):
        await pause(agent, SHOPPER)
        for text in ("hello?", "is anyone there?", "my order is 1042"):
            status, replies = await call("POST", f"{base}/webhooks/rest/webhook", {"sender": SHOPPER, "message": text})
            assert status == 200 and replies == []  # acknowledged: the message is on disk
        await asyncio.sleep(0.6)  # several retry rounds against a desk that is down
        assert desk.received == []
        desk.down = False
        await eventually(lambda: len(desk.received) == 3)
        await asyncio.sleep(0.6)  # more rounds: nothing is sent twice
    assert [(cid, body["text"]) for cid, body in desk.received] == [
        (SHOPPER, "hello?"),
        (SHOPPER, "is anyone there?"),
        (SHOPPER, "my order is 1042"),
    ]
    assert len({body["key"] for _, body in desk.received}) == 3


async def test_queued_messages_survive_a_restart_of_rasa(flaky_desk) -> None:
    desk, desk_url = flaky_desk
    desk.down = True
    async with serve(desk_url) as (base, agent):
        await pause(agent, SHOPPER)
        await call("POST", f"{base}/webhooks/rest/webhook", {"sender": SHOPPER, "message": "before the restart"})
    desk.down = False
    async with serve(desk_url):  # a new process would find the same file under ASSISTANT_VAR
        await eventually(lambda: len(desk.received) == 1)
    assert desk.received[0][1]["text"] == "before the restart"


async def test_a_retry_after_a_lost_answer_carries_the_same_key(flaky_desk) -> None:
    desk, desk_url = flaky_desk
    desk.lose_next_answer = True
    async with serve(desk_url) as (base, agent):
        await pause(agent, SHOPPER)
        await call("POST", f"{base}/webhooks/rest/webhook", {"sender": SHOPPER, "message": "once"})
        await eventually(lambda: len(desk.received) == 2)
        await asyncio.sleep(0.5)
    first, second = (body for _, body in desk.received)
    assert first == second  # same text, time and key: the desk stores it once
    assert len(desk.received) == 2


# -- agent replies to a web chat ---------------------------------------------------------------


async def paused_socketio_conversation(agent: StoringAgent, session_id: str) -> None:
    tracker = await agent.tracker_store.get_or_create_tracker(session_id)
    tracker.update(UserUttered("a person please", input_channel="socketio"))
    tracker.update(ConversationPaused())
    await agent.tracker_store.save(tracker)


async def agent_says(base: str, session_id: str, text: str) -> str:
    body = {"conversation_id": session_id, "text": text, "agent_name": "Alex"}
    status, answer = await call("POST", f"{base}/webhooks/handoff/agent_message", body)
    assert status == 200, answer
    return answer["delivered"]


async def nothing_more(client: Any) -> bool:
    try:
        await client.receive(timeout=0.8)
    except asyncio.TimeoutError:
        return True
    return False


async def test_a_reply_to_a_closed_web_chat_is_stored_and_replayed_on_reconnect(flaky_desk) -> None:
    _, desk_url = flaky_desk
    relay = HandoffRelayInput.from_credentials(
        {"relay_token": RELAY_TOKEN, "desk_url": desk_url, "desk_token": "desk-token"}
    )
    webchat = webchat_channel()
    async with serve_channels(relay, webchat, agent=StoringAgent()) as (base, agent):
        async with socket_client(base) as client:
            await client.emit("session_request", {"session_id": None})
            _, session_id = await client.receive()
            await paused_socketio_conversation(agent, session_id)
            assert await agent_says(base, session_id, "Hi, Alex here.") == "live"
            assert await client.receive() == ("bot_uttered", {"text": "Hi, Alex here."})

        # The shopper closed the tab: nobody can see a push now (once the server has seen the socket go).
        await eventually(lambda: not socketio_room_occupied(webchat.sio, session_id))
        assert await agent_says(base, session_id, "Your refund is on its way.") == "stored"
        assert await agent_says(base, session_id, "Anything else?") == "stored"

        async with socket_client(base) as client:
            await client.emit("session_request", {"session_id": session_id})
            assert await client.receive() == ("session_confirm", session_id)
            assert await client.receive() == ("bot_uttered", {"text": "Your refund is on its way."})
            assert await client.receive() == ("bot_uttered", {"text": "Anything else?"})
            assert await nothing_more(client)

        async with socket_client(base) as client:  # replayed once, not on every reconnect
            await client.emit("session_request", {"session_id": session_id})
            assert await client.receive() == ("session_confirm", session_id)
            assert await nothing_more(client)
            assert await agent_says(base, session_id, "Bye!") == "live"
            assert await client.receive() == ("bot_uttered", {"text": "Bye!"})
