"""Desk sessions that must end and logins that must stop: an open WebSocket after the agent is
disabled or their password changes, and the login lockout per name and per client address (also
behind a trusted reverse proxy)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from handoff import desk as desk_module
from handoff.passwords import hash_password
from tests.handoff.handoff_support import PASSWORD, AgentSession, Desk


async def receive(socket: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            event = await socket.receive_json()
            if event["type"] == kind:
                return event


async def closed_with(socket: aiohttp.ClientWebSocketResponse) -> int | None:
    """Reads until the server closes the socket; returns the close code."""
    async with asyncio.timeout(5):
        while True:
            frame = await socket.receive()
            if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return socket.close_code


async def held_ticket(desk: Desk, agent: AgentSession) -> int:
    ticket = await desk.handoff()
    status, body = await agent.request("POST", f"/desk/api/tickets/{ticket['ticket_id']}/take", {})
    assert status == 200, body
    return ticket["ticket_id"]


@pytest.mark.parametrize("change", ["disable", "new password"])
async def test_an_open_socket_stops_taking_replies_when_the_session_ends(desk: Desk, change: str) -> None:
    alex = await desk.agent("alex", "Alex")
    number = await held_ticket(desk, alex)
    async with alex.http.ws_connect(alex.base + "/desk/ws") as socket:
        await receive(socket, "hello")
        await socket.send_json({"type": "reply", "ticket_id": number, "text": "Hello!", "ref": "1"})
        assert (await receive(socket, "reply_result"))["ref"] == "1"
        # What `python -m handoff.agents disable alex` / `passwd alex` do, from another process.
        if change == "disable":
            await desk.service.store.set_agent_active("alex", False)
        else:
            await desk.service.store.upsert_agent("alex", "Alex", hash_password("a brand new password"))
        await socket.send_json({"type": "reply", "ticket_id": number, "text": "Still me!", "ref": "2"})
        assert await closed_with(socket) == desk_module.SESSION_ENDED
    texts = [m["text"] for m in (await desk.service.store.ticket(number))["messages"] if m["role"] == "agent"]
    assert texts == ["Hello!"]


async def test_a_silent_socket_is_closed_too(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disabled agent must not keep receiving shopper messages on a page left open."""
    monkeypatch.setattr(desk_module, "SESSION_CHECK_S", 0.1)
    alex = await desk.agent("alex")
    async with alex.http.ws_connect(alex.base + "/desk/ws") as socket:
        await receive(socket, "hello")
        await desk.service.store.set_agent_active("alex", False)
        assert await closed_with(socket) == desk_module.SESSION_ENDED


async def test_one_address_trying_many_names_is_locked_out(desk: Desk) -> None:
    """Guessing across names from one address hits the per-address lock; the names stay usable elsewhere."""
    await desk.agent("alex")
    sprayer = AgentSession(desk.base_url)
    desk.sessions.append(sprayer)
    for name in ("amy", "ben", "cat", "dan", "eve"):
        status, _ = await sprayer.login(name, "wrong password")
        assert status == 401
    status, body = await sprayer.login("alex")  # right password, but this address is locked
    assert status == 429 and "Too many failed logins" in body["error"]["message"]


async def test_forwarded_for_from_an_untrusted_address_is_ignored(desk: Desk) -> None:
    """No trusted proxy configured: X-Forwarded-For is the client's own claim and changes nothing."""
    await desk.agent("alex")
    guesser = AgentSession(desk.base_url)
    desk.sessions.append(guesser)
    for index in range(5):  # a fresh made-up address per attempt does not reset the count
        headers = {"X-Forwarded-For": f"203.0.113.{index}"}
        await guesser.request("POST", "/desk/api/login", {"name": f"n{index}", "password": "x" * 8}, headers=headers)
    status, _ = await guesser.request(
        "POST", "/desk/api/login", {"name": "alex", "password": PASSWORD}, headers={"X-Forwarded-For": "203.0.113.99"}
    )
    assert status == 429


class TestBehindATrustedProxy:
    """HANDOFF_TRUSTED_PROXIES names the reverse proxy (here the test client's address)."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"trusted_proxies": frozenset({"127.0.0.1"})}

    async def test_the_forwarded_client_is_locked_out_not_everyone(self, desk: Desk) -> None:
        """Behind a reverse proxy every login comes from the proxy's address: without X-Forwarded-For one
        guesser would lock out every agent, and the guesser could not be told apart."""
        await desk.agent("alex")
        await desk.agent("bo")
        guesser = AgentSession(desk.base_url)
        desk.sessions.append(guesser)
        from_guesser = {"X-Forwarded-For": "203.0.113.9"}
        for name in ("amy", "ben", "cat", "dan", "eve"):
            status, _ = await guesser.request(
                "POST", "/desk/api/login", {"name": name, "password": "wrong"}, headers=from_guesser
            )
            assert status == 401
        status, _ = await guesser.request(
            "POST", "/desk/api/login", {"name": "bo", "password": PASSWORD}, headers=from_guesser
        )
        assert status == 429
        # A colleague at another address behind the same proxy still gets in.
        colleague = AgentSession(desk.base_url)
        desk.sessions.append(colleague)
        status, _ = await colleague.request(
            "POST", "/desk/api/login", {"name": "bo", "password": PASSWORD}, headers={"X-Forwarded-For": "198.51.100.4"}
        )
        assert status == 200
        # The guesser cannot dodge the lock by claiming another address in front of the proxy's entry.
        spoofed = {"X-Forwarded-For": "192.0.2.77, 203.0.113.9"}
        status, _ = await guesser.request(
            "POST", "/desk/api/login", {"name": "bo", "password": PASSWORD}, headers=spoofed
        )
        assert status == 429
