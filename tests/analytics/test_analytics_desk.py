"""The desk's analytics API (handoff/analytics_api.py) with the report source `python -m privacy.desk`
gives it (analytics/desk_source.py): lead agents only, refreshed when older than ANALYTICS_REFRESH_S."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from analytics.desk_source import DeskAnalytics
from analytics.settings import AnalyticsSettings
from handoff.api import SERVICE
from handoff.app import create_app
from handoff.passwords import hash_password
from tests.analytics.analytics_support import expected, fill_stores, tracker_rows, urls_for
from tests.handoff.handoff_support import PASSWORD, AgentSession, make_settings
from tools.tracker_events import write


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class DeskWithAnalytics:
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


async def start(aiohttp_client: Any, var: Path, source: DeskAnalytics | None, **overrides: Any) -> DeskWithAnalytics:
    settings = make_settings(f"sqlite+aiosqlite:///{var / 'handoff.sqlite'}", "http://127.0.0.1:9", **overrides)
    app = create_app(settings, connectors=[], env={}, analytics=source)
    client = await aiohttp_client(app)
    return DeskWithAnalytics(app, str(client.make_url("")).rstrip("/"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def desk(aiohttp_client: Any, tmp_path: Path, clock: Clock) -> AsyncIterator[DeskWithAnalytics]:
    await fill_stores(urls_for(tmp_path), tracker_rows())
    settings = AnalyticsSettings(days=3650, embedding="tfidf", refresh_s=60)
    source = DeskAnalytics(urls_for(tmp_path), settings, clock=clock)
    harness = await start(aiohttp_client, tmp_path, source)
    yield harness
    for session in harness.sessions:
        await session.close()


def total(document: dict[str, Any], table: str, column: str) -> int:
    found = document["tables"][table]
    index = found["columns"].index(column)
    return sum(row[index] or 0 for row in found["rows"])


async def test_lead_gets_the_report_and_others_do_not(desk: DeskWithAnalytics) -> None:
    admin, alex = await desk.agent("admin"), await desk.agent("alex")
    assert await admin.request("GET", "/desk/api/analytics/access") == (200, {"lead": True})
    assert await alex.request("GET", "/desk/api/analytics/access") == (200, {"lead": False})

    status, document = await admin.request("GET", "/desk/api/analytics", params={"grain": "week"})
    assert status == 200, document
    assert document["grain"] == "week"
    assert total(document, "conversations", "conversations") == sum(expected(tracker_rows()).conversations.values())
    assert all(svg and svg.startswith("<svg") for svg in document["plots"].values())
    assert document["satisfaction_collected"] is True
    assert {gap["topic"] for gap in document["gaps"]} and all(gap["suggestion"] for gap in document["gaps"])

    status, refused = await alex.request("GET", "/desk/api/analytics")
    assert status == 403 and "HANDOFF_LEAD_AGENTS" in refused["error"]["message"]
    status, bad = await admin.request("GET", "/desk/api/analytics", params={"grain": "month"})
    assert status == 422 and bad["error"]["code"] == "invalid_request"


async def test_figures_are_refreshed_when_older_than_the_setting(
    desk: DeskWithAnalytics, tmp_path: Path, clock: Clock
) -> None:
    admin = await desk.agent("admin")
    first = tracker_rows()
    before = (await admin.request("GET", "/desk/api/analytics"))[1]
    write(tmp_path / "tracker.db", iter(tracker_rows(5, first_id=len(first) + 1, prefix="d")))
    clock.now += 30
    cached = (await admin.request("GET", "/desk/api/analytics"))[1]
    assert total(cached, "conversations", "conversations") == total(before, "conversations", "conversations")
    clock.now += 31
    fresh = (await admin.request("GET", "/desk/api/analytics"))[1]
    assert total(fresh, "conversations", "conversations") == total(before, "conversations", "conversations") + 5


async def test_lead_agents_come_from_the_setting_and_a_desk_without_analytics_says_so(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    harness = await start(aiohttp_client, tmp_path, None, lead_agents=frozenset({"alex"}))
    try:
        alex = await harness.agent("alex")
        admin = await harness.agent("admin")
        assert (await admin.request("GET", "/desk/api/analytics"))[0] == 403
        status, body = await alex.request("GET", "/desk/api/analytics")
        assert status == 503 and body["error"]["code"] == "analytics_not_configured"
    finally:
        for session in harness.sessions:
            await session.close()


def test_the_desk_starts_without_the_report_libraries() -> None:
    """DuckDB, Arrow, scikit-learn and matplotlib load when a lead first opens the page (about 130 MiB
    the desk would otherwise hold from its start)."""
    heavy = ("duckdb", "pyarrow", "sklearn", "matplotlib")
    probe = f"import sys, privacy.desk; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert loaded.stdout.strip() == "[]"
