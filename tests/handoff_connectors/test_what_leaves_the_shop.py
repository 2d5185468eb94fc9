"""What the desk sends to external ticket systems, end to end through the real desk app: only a
verified e-mail becomes the requester (RT and Zendesk e-mail their notifications, with shopper-written
text, to the requester), and no conversation id leaves the shop (it is a bearer credential on the
shopper channels): the ticket is known outside by an opaque reference.

RT 5 is the real Request Tracker (tests/support/rt5.py); Zendesk is the fake that enforces its API."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from handoff.api import SERVICE
from handoff.app import create_app
from handoff.connectors.base import TicketConnector
from handoff.connectors.rt5 import RT5Connector
from handoff.connectors.zendesk import ZendeskConnector, ZendeskSettings
from tests.handoff.handoff_support import API, handoff_body, make_settings, unreachable_orders
from tests.handoff_connectors.zendesk_fake import API_TOKEN, EMAIL, ME, FakeZendesk
from tests.support.rt5 import RT5Server

TYPED = "victim@example.org"  # anyone can type anyone's address into a chat
ACCOUNT = "ann.account@example.com"  # the address of the customer account the app channel verified


def conversation() -> str:
    return f"web-{uuid.uuid4().hex}"


DeskFactory = Callable[[TicketConnector], Any]


@pytest.fixture
async def desk_with(aiohttp_client: Any, tmp_path: Path) -> AsyncIterator[DeskFactory]:
    """The real desk app with one connector; returns a function that opens a hand-off and waits
    until the connector has the ticket."""

    async def start(connector: TicketConnector) -> Any:
        settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'desk.sqlite'}", "http://127.0.0.1:9")
        app = create_app(settings, connectors=[connector], env={}, orders=unreachable_orders)
        client = await aiohttp_client(app)

        async def handoff(conversation_id: str, customer: dict[str, Any], then_says: str = "") -> str:
            body = handoff_body(conversation_id, customer=customer)
            response = await client.post("/api/handoffs", json=body, headers=API)
            assert response.status == 201, await response.text()
            ticket_id = (await response.json())["ticket_id"]
            await app[SERVICE].sync.drain()
            if then_says:
                said = {"text": then_says, "key": uuid.uuid4().hex}
                response = await client.post(f"/api/conversations/{conversation_id}/messages", json=said, headers=API)
                assert response.status == 201, await response.text()
                await app[SERVICE].sync.drain()
            refs = await app[SERVICE].store.external_refs(ticket_id)
            assert refs[connector.name]["state"] == "synced", refs
            return str(refs[connector.name]["id"])

        return handoff

    yield start


def rt_ticket_text(rt: RT5Server, ticket_id: str) -> str:
    """Everything RT holds for the ticket: its fields and every transaction's content."""
    status, ticket = rt.rest("GET", f"ticket/{ticket_id}")
    assert status == 200
    parts = [json.dumps(ticket)]
    _, listing = rt.rest("GET", f"ticket/{ticket_id}/history?per_page=100")
    for transaction in listing["items"]:
        _, attachments = rt.rest("GET", f"transaction/{transaction['id']}/attachments?fields=Content,Subject,Headers")
        parts.append(json.dumps(attachments))
    return "\n".join(parts)


async def test_rt5_a_typed_email_is_not_the_requester(desk_with: Any, rt5: RT5Connector, rt5_server: RT5Server) -> None:
    handoff = await desk_with(rt5)
    customer = {"id": None, "email": None, "name": "Ann", "unverified_email": TYPED}
    ticket_id = await handoff(conversation(), customer, then_says="Please mail me the invoice.")
    status, ticket = rt5_server.rest("GET", f"ticket/{ticket_id}")
    assert status == 200 and ticket["Requestor"] == []  # RT mails nobody the shopper's words
    content = rt_ticket_text(rt5_server, ticket_id)
    assert f"E-mail given in the chat (unverified, not the requester): {TYPED}" in content
    assert rt5_server.rest("GET", f"user/{TYPED}")[0] == 404  # RT did not even create a user for it


async def test_rt5_a_verified_email_is_the_requester(desk_with: Any, rt5: RT5Connector, rt5_server: RT5Server) -> None:
    handoff = await desk_with(rt5)
    customer = {"id": "C1", "email": ACCOUNT, "name": "Ann", "unverified_email": TYPED}
    ticket_id = await handoff(conversation(), customer)
    ticket = rt5_server.rest("GET", f"ticket/{ticket_id}")[1]
    assert [person["id"] for person in ticket["Requestor"]] == [ACCOUNT]


async def test_rt5_never_sees_the_conversation_id(desk_with: Any, rt5: RT5Connector, rt5_server: RT5Server) -> None:
    handoff = await desk_with(rt5)
    conversation_id = conversation()
    ticket_id = await handoff(conversation_id, {"email": ACCOUNT}, then_says="Any news?")
    content = rt_ticket_text(rt5_server, ticket_id)
    assert "Any news?" in content and "Reference: shop-handoff-" in content
    assert conversation_id not in content and conversation_id.removeprefix("web-") not in content


@pytest.fixture
async def zendesk(aiohttp_server: Any) -> AsyncIterator[tuple[ZendeskConnector, FakeZendesk]]:
    fake = FakeZendesk()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    connector = ZendeskConnector(ZendeskSettings(url=fake.base_url, email=EMAIL, api_token=API_TOKEN, timeout_s=5))
    yield connector, fake
    await connector.aclose()


async def test_zendesk_requester_only_verified_and_no_conversation_id(desk_with: Any, zendesk: Any) -> None:
    connector, fake = zendesk
    handoff = await desk_with(connector)
    conversation_id = conversation()
    ticket_id = int(await handoff(conversation_id, {"name": "Ann", "unverified_email": TYPED}, then_says="Hello?"))
    stored = fake.tickets[ticket_id]
    assert stored["requester_id"] == ME  # the shop's own account stands in: Zendesk mails nobody else
    assert TYPED not in {user["email"] for user in fake.users.values()}
    everything = json.dumps([stored, fake.comments[ticket_id]])
    assert conversation_id not in everything and stored["external_id"].startswith("shop-handoff-")
    assert all(conversation_id not in json.dumps(headers) for _, _, headers in fake.requests)

    verified = int(await handoff(conversation(), {"email": ACCOUNT, "name": "Ann"}))
    assert fake.users[fake.tickets[verified]["requester_id"]]["email"] == ACCOUNT


async def test_webhook_events_carry_no_conversation_id(desk_with: Any, aiohttp_server: Any) -> None:
    from handoff.connectors.webhook import WebhookConnector, WebhookSettings

    received: list[bytes] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", receive)
    server = await aiohttp_server(app)
    connector = WebhookConnector(WebhookSettings(url=str(server.make_url("/hook")), secret="s" * 32))
    try:
        handoff = await desk_with(connector)
        conversation_id = conversation()
        await handoff(conversation_id, {"unverified_email": TYPED}, then_says="Still there?")
    finally:
        await connector.aclose()
    events = [json.loads(raw) for raw in received]
    assert [event["event"] for event in events] == ["ticket.created", "ticket.message"]
    assert events[0]["data"]["requester"] == {"email": None, "name": None}
    assert events[0]["data"]["unverified_email"] == TYPED
    assert events[0]["data"]["reference"].startswith("shop-handoff-")
    assert all(conversation_id not in raw.decode() for raw in received)
