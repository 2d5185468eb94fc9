"""The desk's privacy API (handoff/privacy_api.py) with the coordinator, as `python -m privacy.desk` wires it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from handoff.api import SERVICE
from handoff.app import create_app
from handoff.models import AuditEvent
from handoff.passwords import hash_password
from privacy.requests import Stores, SubjectRequests
from service_kit.db import make_sessions
from tests.handoff.handoff_support import PASSWORD, AgentSession, make_settings
from tests.privacy.privacy_support import SHOPPERS

JANE = SHOPPERS[0]


class DeskUnderTest:
    def __init__(self, app: web.Application, base_url: str) -> None:
        self.app, self.base_url = app, base_url
        self.sessions: list[AgentSession] = []

    async def agent(self, name: str) -> AgentSession:
        await self.app[SERVICE].store.upsert_agent(name, name.capitalize(), hash_password(PASSWORD))
        session = AgentSession(self.base_url)
        self.sessions.append(session)
        status, body = await session.login(name)
        assert status == 200, body
        return session


async def start_desk(aiohttp_client: Any, urls: dict[str, str], privacy: SubjectRequests | None) -> DeskUnderTest:
    settings = make_settings(urls["handoff"], "http://127.0.0.1:9")
    app = create_app(settings, connectors=[], env={}, privacy=privacy)
    client = await aiohttp_client(app)
    return DeskUnderTest(app, str(client.make_url("")).rstrip("/"))


@pytest.fixture
async def desk(aiohttp_client: Any, urls: dict[str, str], stores: Stores) -> AsyncIterator[DeskUnderTest]:
    harness = await start_desk(aiohttp_client, urls, SubjectRequests(stores))
    yield harness
    for session in harness.sessions:
        await session.close()


async def test_privacy_agent_exports_and_erases(desk: DeskUnderTest, stores: Stores) -> None:
    admin = await desk.agent("admin")
    status, document = await admin.request("GET", "/desk/api/privacy/export", params={"email": JANE.email})
    assert status == 200, document
    assert len(document["stores"]["handoff"]["tickets"]) == 1
    assert len(document["stores"]["orders"]["orders"]) == len(JANE.order_numbers)

    named = {"email": JANE.email, "phone": JANE.phone}
    status, dry = await admin.request("POST", "/desk/api/privacy/erase", {**named, "dry_run": True})
    assert status == 200 and dry["dry_run"] is True
    assert dry["stores"]["handoff"]["deleted"]["tickets"] == 1
    status, done = await admin.request("POST", "/desk/api/privacy/erase", named)
    assert status == 200 and done["dry_run"] is False and done["stores"] == dry["stores"]

    status, after = await admin.request("GET", "/desk/api/privacy/export", params={"customer_id": JANE.customer_id})
    assert status == 200
    assert all(not rows for part in after["stores"].values() for rows in part.values() if isinstance(rows, list))
    async with make_sessions(stores.handoff)() as session:
        logged = list(await session.scalars(select(AuditEvent).where(AuditEvent.action.like("privacy%"))))
    assert [(e.actor, e.action) for e in logged] == [
        ("admin", "privacy_export"),
        ("admin", "privacy_erase_dry_run"),
        ("admin", "privacy_erase"),
        ("admin", "privacy_export"),
    ]
    assert logged[2].detail["named_by"] == ["email", "phone"]
    assert JANE.email not in json.dumps([e.detail for e in logged])


async def test_only_privacy_agents_may_ask(desk: DeskUnderTest) -> None:
    alex = await desk.agent("alex")
    status, body = await alex.request("GET", "/desk/api/privacy/export", params={"email": JANE.email})
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await alex.request("POST", "/desk/api/privacy/erase", {"email": JANE.email})
    assert status == 403
    anonymous = AgentSession(desk.base_url)
    desk.sessions.append(anonymous)
    status, _ = await anonymous.request("GET", "/desk/api/privacy/export", params={"email": JANE.email})
    assert status == 401


async def test_bad_requests(desk: DeskUnderTest) -> None:
    admin = await desk.agent("admin")
    status, body = await admin.request("GET", "/desk/api/privacy/export")
    assert status == 422, body
    status, body = await admin.request("POST", "/desk/api/privacy/erase", {"email": JANE.email, "dry_run": "yes"})
    assert status == 422, body
    status, body = await admin.request("POST", "/desk/api/privacy/erase", {"email": ["a@b.c"]})
    assert status == 422, body


async def test_a_desk_without_the_coordinator_says_so(
    aiohttp_client: Any, urls: dict[str, str], stores: Stores
) -> None:
    harness = await start_desk(aiohttp_client, urls, None)
    try:
        admin = await harness.agent("admin")
        status, body = await admin.request("GET", "/desk/api/privacy/export", params={"email": JANE.email})
        assert status == 503 and body["error"]["code"] == "privacy_not_configured"
    finally:
        for session in harness.sessions:
            await session.close()
