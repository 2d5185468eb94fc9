"""Desk → shopper through the (fake) Rasa relay, and shopper → desk over the live WebSocket."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from handoff.app import create_app
from tests.handoff.handoff_support import RELAY_TOKEN, AgentSession, Desk, make_settings


async def take(desk: Desk, agent: AgentSession, conversation_id: str = "conv-1") -> int:
    ticket = await desk.handoff(conversation_id)
    status, body = await agent.request("POST", f"/desk/api/tickets/{ticket['ticket_id']}/take", {})
    assert status == 200, body
    return ticket["ticket_id"]


async def test_take_reply_note_and_close_reach_rasa_in_order(desk: Desk) -> None:
    alex = await desk.agent("alex", "Alex")
    number = await take(desk, alex)
    status, reply = await alex.request("POST", f"/desk/api/tickets/{number}/messages", {"text": "Let me check that."})
    assert status == 201 and reply["delivered"] and reply["delivered_as"] == "live"
    status, note = await alex.request("POST", f"/desk/api/tickets/{number}/notes", {"text": "Carrier lost it?"})
    assert status == 201 and note["role"] == "note"
    status, closed = await alex.request("POST", f"/desk/api/tickets/{number}/close", {})
    assert status == 200 and closed["status"] == "closed"
    assert desk.relay.calls == [
        (
            "agent_message",
            {"conversation_id": "conv-1", "text": "Alex has joined the conversation.", "agent_name": "Alex"},
        ),
        ("agent_message", {"conversation_id": "conv-1", "text": "Let me check that.", "agent_name": "Alex"}),
        ("release", {"conversation_id": "conv-1", "agent_name": "Alex"}),
    ]
    assert set(desk.relay.auth) == {f"Bearer {RELAY_TOKEN}"}
    assert "Carrier lost it?" not in desk.relay.texts()  # notes never reach the shopper
    assert all(m["delivered"] for m in closed["messages"])


async def test_stored_delivery_is_reported(desk: Desk) -> None:
    alex = await desk.agent("alex")
    number = await take(desk, alex)
    desk.relay.mode = "stored"
    _, reply = await alex.request("POST", f"/desk/api/tickets/{number}/messages", {"text": "I'll email you."})
    assert reply["delivered"] and reply["delivered_as"] == "stored"


async def test_rasa_down_keeps_messages_undelivered_until_retry_in_order(desk: Desk) -> None:
    alex = await desk.agent("alex")
    number = await take(desk, alex)
    desk.relay.mode = "fail"
    _, first = await alex.request("POST", f"/desk/api/tickets/{number}/messages", {"text": "first"})
    _, second = await alex.request("POST", f"/desk/api/tickets/{number}/messages", {"text": "second"})
    assert not first["delivered"] and "HTTP 503" in first["delivery_error"]
    assert not second["delivered"]
    # The agent's close is accepted; the release waits behind the undelivered replies.
    _, closed = await alex.request("POST", f"/desk/api/tickets/{number}/close", {})
    assert closed["status"] == "closed" and not closed["messages"][-1]["delivered"]
    assert desk.relay.texts() == ["Alex has joined the conversation."]

    desk.relay.mode = "live"
    status, retried = await alex.request("POST", f"/desk/api/messages/{second['id']}/retry", {})
    assert status == 200 and retried["delivered"]
    assert desk.relay.texts() == ["Alex has joined the conversation.", "first", "second", "<release>"]
    assert await desk.service.store.undelivered() == []


async def test_rasa_unreachable_is_an_error_not_a_crash(aiohttp_client: Any, db_url: str, relay: Any) -> None:
    app = create_app(make_settings(db_url, "http://127.0.0.1:9"), connectors=[], env={})
    desk = Desk(app, await aiohttp_client(app), relay)
    alex = await desk.agent("alex")
    try:
        number = await take(desk, alex)
        _, ticket = await alex.request("GET", f"/desk/api/tickets/{number}")
        join = ticket["messages"][-1]
        assert join["kind"] == "join" and not join["delivered"] and "cannot be reached" in join["delivery_error"]
    finally:
        await alex.close()


@pytest.mark.parametrize("settings_overrides", [{"retry_interval_s": 0.2}])
async def test_automatic_retry_delivers_once_rasa_is_back(desk: Desk) -> None:
    alex = await desk.agent("alex")
    desk.relay.mode = "fail"
    number = await take(desk, alex)
    await alex.request("POST", f"/desk/api/tickets/{number}/messages", {"text": "Are you still there?"})
    await asyncio.sleep(0.5)
    assert desk.relay.calls == []
    desk.relay.mode = "live"
    await desk.relay.wait_for(2)
    assert desk.relay.texts() == ["Alex has joined the conversation.", "Are you still there?"]
    await asyncio.sleep(0.5)
    assert len(desk.relay.calls) == 2  # delivered once, not again
    messages = (await desk.service.store.ticket(number))["messages"]
    assert all(m["delivered"] for m in messages), messages


@pytest.mark.parametrize("settings_overrides", [{"retry_interval_s": 0.1}])
async def test_a_permanent_refusal_is_not_retried_automatically(desk: Desk) -> None:
    alex = await desk.agent("alex")
    number = await take(desk, alex)
    desk.relay.mode = "gone"  # e.g. the conversation was deleted from the tracker store
    _, reply = await alex.request("POST", f"/desk/api/tickets/{number}/messages", {"text": "Hello?"})
    assert not reply["delivered"] and reply["delivered_as"] == "refused" and "HTTP 404" in reply["delivery_error"]
    await asyncio.sleep(0.5)
    assert desk.relay.refused == 1  # the retry loop leaves it alone
    desk.relay.mode = "live"
    status, retried = await alex.request("POST", f"/desk/api/messages/{reply['id']}/retry", {})
    assert status == 200 and retried["delivered"] and retried["delivered_as"] == "live"


async def receive(socket: aiohttp.ClientWebSocketResponse, kind: str, timeout_s: float = 5.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            event = await socket.receive_json()
            if event["type"] == kind:
                return event


async def test_websocket_pushes_queue_changes_and_shopper_messages_and_takes_replies(desk: Desk) -> None:
    alex = await desk.agent("alex")
    async with alex.http.ws_connect(alex.base + "/desk/ws") as socket:
        hello = await receive(socket, "hello")
        assert hello["agent"] == "alex" and hello["agents_online"] == 1
        ticket = await desk.handoff()
        assert ticket["agents_online"] == 1
        pushed = await receive(socket, "ticket")
        assert pushed["ticket"]["ticket_id"] == ticket["ticket_id"]
        await alex.request("POST", f"/desk/api/tickets/{ticket['ticket_id']}/take", {})
        await desk.shopper_says("conv-1", "My parcel is still missing")
        while True:
            event = await receive(socket, "message")
            if event["message"]["role"] == "user":
                break
        assert event["message"]["text"] == "My parcel is still missing"
        assert event["message"]["ticket_id"] == ticket["ticket_id"]

        await socket.send_json({"type": "reply", "ticket_id": ticket["ticket_id"], "text": "Checking now", "ref": 7})
        result = await receive(socket, "reply_result")
        assert result["ref"] == 7 and result["message"]["delivered"]
        assert desk.relay.texts()[-1] == "Checking now"
        await socket.send_json({"type": "reply", "ticket_id": 999, "text": "x", "ref": 8})
        error = await receive(socket, "error")
        assert error["ref"] == 8 and error["error"]["code"] == "not_found"
        await socket.send_str("nonsense")
        assert (await receive(socket, "error"))["error"]["code"] == "malformed_json"


async def test_websocket_needs_a_session_and_the_same_origin(desk: Desk) -> None:
    alex = await desk.agent("alex")
    anonymous = aiohttp.ClientSession()
    try:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await anonymous.ws_connect(desk.base_url + "/desk/ws")
        assert refused.value.status == 401
    finally:
        await anonymous.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
        await alex.http.ws_connect(alex.base + "/desk/ws", headers={"Origin": "http://127.0.0.1:8080"})
    assert foreign.value.status == 403


async def test_logout_closes_the_agents_sockets(desk: Desk) -> None:
    alex = await desk.agent("alex")
    async with alex.http.ws_connect(alex.base + "/desk/ws") as socket:
        await receive(socket, "hello")
        await alex.request("POST", "/desk/api/logout", {})
        async with asyncio.timeout(5):
            while not socket.closed:
                message = await socket.receive()
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
        assert socket.close_code == 4001 or socket.closed
