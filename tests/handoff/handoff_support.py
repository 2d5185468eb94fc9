"""Test support for the handoff desk: the real app on SQLite and on a throwaway PostgreSQL, a fake Rasa
relay (a real aiohttp server that records what the desk sends), a fake ticket connector, and logged-in
agent sessions with their own cookie jars. conftest.py registers the fixtures; tests import the rest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from handoff.api import SERVICE
from handoff.app import create_app
from handoff.config import Settings
from handoff.connectors.base import ConnectorUnavailable, ExternalReply, ExternalTicket
from handoff.hours import AgentHours
from handoff.passwords import hash_password
from handoff.service import HandoffService
from service_clients.orders import OrdersClient

TOKEN = "handoff-test-token-0123456789"
RELAY_TOKEN = "relay-test-token-0123456789"
PASSWORD = "correct horse battery"
API = {"Authorization": f"Bearer {TOKEN}"}


def handoff_body(conversation_id: str = "conv-1", **overrides: Any) -> dict[str, Any]:
    body = {
        "conversation_id": conversation_id,
        "channel": "socketio",
        "reason": "frustration",
        "customer": {"id": "C1", "email": "c1@example.com", "name": "Jane Doe"},
        "order": {"number": "104532", "total": 59.9, "currency": "USD", "status": "shipped"},
        "intent": "track_order",
        "entities": [{"entity": "order_number", "value": "104532"}],
        "sentiment_history": [
            {"timestamp": 1763900000.0, "score": -0.2, "label": "neutral"},
            {"timestamp": 1763900030.0, "score": -0.8, "label": "negative"},
        ],
        "frustration": 0.6,
        "transcript": [
            {"role": "user", "text": "Where is my order 104532?", "timestamp": 1763900000.0},
            {"role": "bot", "text": "It shipped on Monday.", "timestamp": 1763900001.0},
            {"role": "user", "text": "It still has not arrived and I am really annoyed.", "timestamp": 1763900030.0},
        ],
    }
    body.update(overrides)
    return body


class FakeRelay:
    """Rasa's side of the contract: records agent messages and releases; `mode` makes it fail."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.received_at: list[float] = []  # time.monotonic() of each recorded call
        self.auth: list[str] = []
        self.mode = "live"  # live | stored | fail (503) | gone (404)
        self.refused = 0
        self.server: TestServer | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/handoff/agent_message", self._agent_message)
        app.router.add_post("/webhooks/handoff/release", self._release)
        return app

    async def _record(self, request: web.Request, kind: str) -> web.Response | None:
        self.auth.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") != f"Bearer {RELAY_TOKEN}":
            return web.json_response({"error": {"code": "unauthorized", "message": "bad token"}}, status=401)
        if self.mode == "fail":
            return web.json_response({"error": {"code": "unavailable", "message": "Rasa is restarting"}}, status=503)
        if self.mode == "gone":
            self.refused += 1
            return web.json_response({"error": "not_found", "message": "no such conversation"}, status=404)
        self.calls.append((kind, await request.json()))
        self.received_at.append(time.monotonic())
        return None

    async def _agent_message(self, request: web.Request) -> web.Response:
        refused = await self._record(request, "agent_message")
        return refused or web.json_response({"delivered": self.mode})

    async def _release(self, request: web.Request) -> web.Response:
        return await self._record(request, "release") or web.json_response({"ok": True})

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    def texts(self) -> list[str]:
        return [body.get("text", "<release>") for kind, body in self.calls]

    async def wait_for(self, count: int, timeout_s: float = 5.0) -> None:
        await until(lambda: len(self.calls) >= count, timeout_s, f"{count} relay calls (got {self.calls})")


async def until(condition: Callable[[], bool], timeout_s: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class FakeConnector:
    """An external ticket system in memory; `down` makes every call raise ConnectorUnavailable."""

    name: str = "fake"
    down: bool = False
    created: list[ExternalTicket] = field(default_factory=list)
    corresponded: list[tuple[str, str]] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    replies: list[ExternalReply] = field(default_factory=list)
    reply_calls: list[tuple[str, str | None]] = field(default_factory=list)

    def _check(self) -> None:
        if self.down:
            raise ConnectorUnavailable(f"{self.name} is down")

    async def create(self, ticket: ExternalTicket) -> str:
        self._check()
        self.created.append(ticket)
        return f"EXT-{len(self.created)}"

    async def correspond(self, external_id: str, text: str) -> None:
        self._check()
        self.corresponded.append((external_id, text))

    async def comment(self, external_id: str, text: str) -> None:
        self._check()
        self.comments.append((external_id, text))

    async def replies_since(self, external_id: str, after: str | None) -> list[ExternalReply]:
        self._check()
        self.reply_calls.append((external_id, after))
        ids = [r.reply_id for r in self.replies]
        start = ids.index(after) + 1 if after in ids else 0
        return self.replies[start:]

    def reply(self, text: str, author: str = "Sam (RT)") -> None:
        self.replies.append(ExternalReply(f"r{len(self.replies) + 1}", author, text, datetime.now(UTC)))

    async def resolve(self, external_id: str) -> None:
        self._check()
        self.resolved.append(external_id)

    async def aclose(self) -> None:
        pass


class AgentSession:
    """One agent's browser: its own cookie jar (unsafe=True: the test server is an IP address)."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        async with self.http.request(method, self.base + path, json=body, **kwargs) as response:
            return response.status, await response.json(content_type=None)

    async def login(self, name: str, password: str = PASSWORD) -> tuple[int, Any]:
        return await self.request("POST", "/desk/api/login", {"name": name, "password": password})

    async def close(self) -> None:
        await self.http.close()


@dataclass
class Desk:
    app: web.Application
    client: TestClient
    relay: FakeRelay
    sessions: list[AgentSession] = field(default_factory=list)

    @property
    def service(self) -> HandoffService:
        return self.app[SERVICE]

    @property
    def base_url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    async def handoff(self, conversation_id: str = "conv-1", **overrides: Any) -> dict[str, Any]:
        response = await self.client.post("/api/handoffs", json=handoff_body(conversation_id, **overrides), headers=API)
        assert response.status == 201, await response.text()
        return await response.json()

    async def shopper_says(self, conversation_id: str, text: str) -> aiohttp.ClientResponse:
        return await self.client.post(
            f"/api/conversations/{conversation_id}/messages", json={"text": text, "timestamp": time.time()}, headers=API
        )

    async def agent(self, name: str, display_name: str | None = None) -> AgentSession:
        await self.service.store.upsert_agent(name, display_name or name.capitalize(), hash_password(PASSWORD))
        session = AgentSession(self.base_url)
        self.sessions.append(session)
        status, body = await session.login(name)
        assert status == 200, body
        return session


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'handoff.sqlite'}"
    return request.getfixturevalue("postgres_server").create_database("handoff")


@pytest.fixture
async def relay(aiohttp_server: Any) -> FakeRelay:
    fake = FakeRelay()
    fake.server = await aiohttp_server(fake.app())
    return fake


def make_settings(db_url: str, rasa_url: str, **overrides: Any) -> Settings:
    settings = Settings(
        api_token=TOKEN,
        db_url=db_url,
        rasa_url=rasa_url,
        relay_token=RELAY_TOKEN,
        session_secret="test-session-secret-0123456789-abcdefgh",
        hours=AgentHours.parse("always"),
        retry_interval_s=3600.0,  # tests that need the automatic retry set it short
        poll_interval_s=3600.0,
        relay_timeout_s=2.0,
    )
    return settings.model_copy(update=overrides)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def connectors() -> list[Any]:
    return []


def unreachable_orders() -> OrdersClient:
    """Tests must not depend on an orders backend someone else runs on the default port."""
    return OrdersClient("http://127.0.0.1:9", "none", timeout_s=0.5, get_retries=0)


@pytest.fixture
async def desk(
    aiohttp_client: Any, db_url: str, relay: FakeRelay, settings_overrides: dict[str, Any], connectors: list[Any]
) -> AsyncIterator[Desk]:
    settings = make_settings(db_url, relay.url, **settings_overrides)
    app = create_app(settings, connectors=connectors, env={}, orders=unreachable_orders)
    harness = Desk(app, await aiohttp_client(app), relay)
    yield harness
    for session in harness.sessions:
        await session.close()
