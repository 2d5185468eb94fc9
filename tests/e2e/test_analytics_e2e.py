"""The analytics page's API on the real stack: a shopper on the web widget asks for a person, and a
lead agent's report (read by the desk the launcher starts, `python -m privacy.desk`, from the real
Rasa tracker store and ticket database) counts that web conversation, its hand-off and its ticket."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.e2e.conftest import Stack
from tests.e2e.socketio_client import texts, widget_client


def rows(report: dict[str, Any], table: str) -> list[dict[str, Any]]:
    found = report["tables"][table]
    return [dict(zip(found["columns"], row, strict=True)) for row in found["rows"]]


async def test_lead_sees_a_handed_off_web_conversation(stack: Stack) -> None:
    async with widget_client(stack.rasa_url) as shopper:
        await shopper.start_session()
        assert "colleague" in texts(await shopper.say("Could a human agent look into my missing gift card?"))

    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(stack.desk_url, cookie_jar=jar) as desk:
        login = {"name": "admin", "password": stack.secrets["HANDOFF_ADMIN_PASSWORD"]}
        async with desk.post("/desk/api/login", json=login) as response:
            assert response.status == 200
        for _ in range(100):  # the hand-off reaches the desk through the action server's outbox
            async with desk.get("/desk/api/queue") as response:
                queue = await response.json()
            if any("gift card" in (ticket.get("summary") or "") for ticket in queue["tickets"]):
                break
            await asyncio.sleep(0.2)
        async with desk.get("/desk/api/analytics/access") as response:
            assert await response.json() == {"lead": True}
        async with desk.get("/desk/api/analytics", params={"grain": "week"}) as response:
            assert response.status == 200, await response.text()
            report = await response.json()

    web = [row for row in rows(report, "conversations") if row["channel"] == "web"]
    assert sum(row["conversations"] for row in web) >= 1, report["tables"]["conversations"]
    assert sum(row["handed_off"] for row in web) >= 1, report["tables"]["conversations"]
    tickets = rows(report, "handoffs")
    assert sum(row["handoffs"] for row in tickets if row["channel"] == "web") >= 1, tickets
    assert report["plots"]["conversations"].startswith("<svg")
