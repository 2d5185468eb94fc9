"""The HTTP surface: the two credentials stay apart, bad input gets a clear 4xx, idempotency, races."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from handoff.app import create_app
from handoff.hours import AgentHours
from handoff.openapi import schema_for
from tests.handoff.handoff_support import API, RELAY_TOKEN, TOKEN, AgentSession, Desk, handoff_body, make_settings

DESK_ROUTES = [
    ("GET", "/desk/api/me"),
    ("GET", "/desk/api/queue"),
    ("GET", "/desk/api/tickets/1"),
    ("GET", "/desk/api/tickets/1/orders"),
    ("POST", "/desk/api/tickets/1/take"),
    ("POST", "/desk/api/tickets/1/messages"),
    ("POST", "/desk/api/tickets/1/notes"),
    ("POST", "/desk/api/tickets/1/close"),
    ("POST", "/desk/api/messages/1/retry"),
    ("POST", "/desk/api/logout"),
    ("GET", "/desk/ws"),
]


def check_against_spec(spec: dict[str, Any], schema: str, data: Any) -> None:
    Draft202012Validator(schema_for(spec, schema)).validate(data)


async def test_handoff_is_created_then_idempotent(desk: Desk) -> None:
    spec = await (await desk.client.get("/openapi.json")).json()
    first = await desk.handoff()
    check_against_spec(spec, "HandoffResponse", first)
    assert (first["status"], first["queue_position"], first["agents_online"], first["created"]) == (
        "waiting",
        1,
        0,
        True,
    )
    lines = [*handoff_body()["transcript"], {"role": "user", "text": "Hello? Anyone?", "timestamp": 1763900100.0}]
    again = await desk.handoff(transcript=lines, frustration=0.9)
    assert again["ticket_id"] == first["ticket_id"] and not again["created"]
    ticket = await desk.service.store.ticket(first["ticket_id"])
    assert [m["text"] for m in ticket["messages"]][-1] == "Hello? Anyone?"
    assert len(ticket["messages"]) == 4 and ticket["priority"] == 3
    other = await desk.handoff("conv-2", frustration=0.95, order={"number": "104533", "total": "750.00"})
    assert other["queue_position"] == 1  # urgent goes first
    assert (await desk.service.store.ticket(other["ticket_id"], with_messages=False))["priority"] == 4
    health = await (await desk.client.get("/health")).json()
    check_against_spec(spec, "Health", health)


async def test_outside_agent_hours_the_ticket_is_a_follow_up(aiohttp_client: Any, db_url: str, relay: Any) -> None:
    settings = make_settings(db_url, relay.url, hours=AgentHours.parse("mon-fri 09:00-17:00", "UTC"))
    app = create_app(settings, connectors=[], env={}, now=lambda: datetime(2026, 11, 28, 11, 0, tzinfo=UTC))
    client = await aiohttp_client(app)
    response = await client.post("/api/handoffs", json=handoff_body(), headers=API)
    body = await response.json()
    assert response.status == 201 and body["status"] == "follow_up" and body["queue_position"] is None


async def test_service_token_cannot_use_the_desk(desk: Desk) -> None:
    await desk.handoff()
    for method, path in DESK_ROUTES:
        response = await desk.client.request(method, path, json={"text": "x"}, headers=API)
        assert response.status == 401, (method, path, response.status)
        assert (await response.json())["error"]["code"] == "unauthorized"


async def test_agent_session_cannot_use_the_service_api(desk: Desk) -> None:
    alex = await desk.agent("alex")
    status, body = await alex.request("POST", "/api/handoffs", handoff_body())
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, _ = await alex.request("POST", "/api/conversations/conv-1/messages", {"text": "hi"})
    assert status == 401
    # Neither the relay token nor a wrong token opens the API.
    for token in (RELAY_TOKEN, TOKEN + "x", ""):
        response = await desk.client.post(
            "/api/handoffs", json=handoff_body(), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 401
    assert await desk.service.store.queue() == []


async def test_without_a_session_only_the_page_and_login_answer(desk: Desk) -> None:
    page = await desk.client.get("/desk/")
    assert page.status == 200 and "Agent desk" in await page.text()
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert (await desk.client.get("/desk/static/desk.js")).status == 200
    for method, path in DESK_ROUTES:
        response = await desk.client.request(method, path, json={})
        assert response.status == 401, (method, path)
    assert (await desk.client.get("/somewhere/else")).status == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, None),
        ({**handoff_body(), "channel": "Fax Machine!"}, 422, "channel"),
        ({**handoff_body(), "frustration": 1.5}, 422, "frustration"),
        ({k: v for k, v in handoff_body().items() if k != "conversation_id"}, 422, "body"),
        ({**handoff_body(), "transcript": [{"role": "robot", "text": "x"}]}, 422, "transcript/0/role"),
        ({**handoff_body(), "transcript": [{"role": "user", "text": "x", "timestamp": "yesterday"}]}, 422, None),
        ({**handoff_body(), "transcript": [{"role": "user", "text": "x", "timestamp": 1e20}]}, 422, None),
        ({**handoff_body(), "conversation_id": "   "}, 422, "conversation_id"),
        ({**handoff_body(), "order": {"total": 5}}, 422, "order"),
        ({**handoff_body(), "surprise": 1}, 422, "body"),
    ],
)
async def test_bad_handoffs_get_a_clear_4xx(desk: Desk, body: Any, status: int, field: str | None) -> None:
    kwargs = (
        {"data": body, "headers": {**API, "Content-Type": "application/json"}}
        if isinstance(body, bytes)
        else {
            "json": body,
            "headers": API,
        }
    )
    response = await desk.client.post("/api/handoffs", **kwargs)
    error = (await response.json())["error"]
    assert response.status == status, error
    assert error["message"]
    if field:
        assert field in error.get("fields", {}), error
    assert await desk.service.store.queue() == []


async def test_shopper_messages_need_an_open_handoff_and_reach_the_ticket(desk: Desk) -> None:
    missing = await desk.shopper_says("nobody", "hello")
    assert missing.status == 404 and "No open handoff" in (await missing.json())["error"]["message"]
    ticket = await desk.handoff()
    response = await desk.shopper_says("conv-1", "Are you there?")
    body = await response.json()
    assert response.status == 201 and body["ticket_id"] == ticket["ticket_id"] and body["status"] == "waiting"
    empty = await desk.client.post("/api/conversations/conv-1/messages", json={"text": ""}, headers=API)
    assert empty.status == 422
    stored = await desk.service.store.ticket(ticket["ticket_id"])
    assert stored["messages"][-1]["text"] == "Are you there?" and stored["messages"][-1]["role"] == "user"


async def test_large_bodies_are_refused(desk: Desk) -> None:
    huge = handoff_body(transcript=[{"role": "user", "text": "x" * 4000}] * 200)
    response = await desk.client.post("/api/handoffs", json=huge, headers=API)
    assert response.status == 413 and (await response.json())["error"]["code"] == "payload_too_large"


async def test_two_agents_take_at_once_one_wins(desk: Desk) -> None:
    ticket = await desk.handoff()
    alex, bo = await desk.agent("alex"), await desk.agent("bo")
    path = f"/desk/api/tickets/{ticket['ticket_id']}/take"
    (s1, b1), (s2, b2) = await asyncio.gather(alex.request("POST", path, {}), bo.request("POST", path, {}))
    assert sorted([s1, s2]) == [200, 409], (b1, b2)
    winner = b1 if s1 == 200 else b2
    loser = b2 if s1 == 200 else b1
    assert loser["error"]["code"] == "already_taken" and winner["assigned_agent"] in loser["error"]["message"]
    # Exactly one "joined" message reached the shopper.
    await desk.relay.wait_for(1)
    await asyncio.sleep(0.1)
    assert [body["text"] for _, body in desk.relay.calls] == [
        f"{winner['assigned_agent'].capitalize()} has joined the conversation."
    ]
    other = bo if s1 == 200 else alex
    status, body = await other.request("POST", f"/desk/api/tickets/{ticket['ticket_id']}/messages", {"text": "me too"})
    assert status == 409 and body["error"]["code"] == "not_holder"


async def test_bad_logins_are_refused_then_locked_out(desk: Desk) -> None:
    await desk.agent("alex")
    intruder = AgentSession(desk.base_url)
    desk.sessions.append(intruder)
    status, body = await intruder.login("alex", "wrong password")
    assert status == 401 and body["error"]["message"] == "Wrong name or password."
    status, body = await intruder.login("nobody", "wrong password")
    assert status == 401 and body["error"]["message"] == "Wrong name or password."
    for _ in range(4):
        await intruder.login("alex", "wrong password")
    status, body = await intruder.login("alex")  # right password, but locked now
    assert status == 429 and "Too many failed logins" in body["error"]["message"]
    status, _ = await intruder.request("POST", "/desk/api/login", {"name": "alex"})
    assert status in (422, 429)


async def test_logout_ends_the_session_and_old_cookies_stop_working(desk: Desk) -> None:
    alex = await desk.agent("alex")
    cookie = next(c for c in alex.http.cookie_jar if c.key == "handoff_session")
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/desk"
    status, me = await alex.request("GET", "/desk/api/me")
    assert status == 200 and me["name"] == "alex"
    stolen = cookie.value
    assert (await alex.request("POST", "/desk/api/logout", {}))[0] == 200
    response = await desk.client.get("/desk/api/me", headers={"Cookie": f"handoff_session={stolen}"})
    assert response.status == 401


async def test_cross_site_writes_are_refused(desk: Desk) -> None:
    ticket = await desk.handoff()
    alex = await desk.agent("alex")
    path = f"/desk/api/tickets/{ticket['ticket_id']}/take"
    status, body = await alex.request("POST", path, {}, headers={"Origin": "http://127.0.0.1:8080"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    async with alex.http.post(
        alex.base + path, data="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
    ) as r:
        assert r.status == 415
    status, _ = await alex.request("POST", path, {}, headers={"Origin": desk.base_url})
    assert status == 200


async def test_desk_input_errors_are_clear(desk: Desk) -> None:
    ticket = await desk.handoff()
    alex = await desk.agent("alex")
    await alex.request("POST", f"/desk/api/tickets/{ticket['ticket_id']}/take", {})
    status, body = await alex.request("POST", f"/desk/api/tickets/{ticket['ticket_id']}/messages", {"text": "  "})
    assert status == 422 and body["error"]["fields"] == {"text": "required"}
    status, body = await alex.request("POST", f"/desk/api/tickets/{ticket['ticket_id']}/messages", {"text": "x" * 5001})
    assert status == 422
    status, body = await alex.request("GET", "/desk/api/tickets/abc")
    assert status == 422
    status, body = await alex.request("GET", "/desk/api/tickets/999")
    assert status == 404 and "no ticket 999" in body["error"]["message"]
