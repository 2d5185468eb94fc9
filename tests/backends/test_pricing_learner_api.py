"""The price learner in the pricing backend over HTTP, on SQLite and PostgreSQL: off by default,
decisions explained and audited, outcomes update the posterior once, state persists across restarts,
the move interval holds, guardrails clip, and the fairness report (endpoint and command)."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends.pricing import fairness
from backends.pricing.app import create_app
from backends.pricing.learning.settings import LearnerSettings

pytestmark = pytest.mark.asyncio

TOKEN = "pricing-test-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
START = datetime(2025, 8, 10, 12, 0)
JACKET = {
    "sku": "JK-1-M",
    "product_id": "jacket-1",
    "category": "apparel/clothing/outerwear",
    "base_price": "100.00",
    "customer_id": "C1",
    "customer_tier": "vip",
    "personalisation_consent": True,
}
ON = LearnerSettings(enabled=True)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def start(aiohttp_client: Any, db_url: str, clock: Clock, learner: LearnerSettings | None = ON) -> TestClient:
    app = create_app(db_url, TOKEN, clock=clock, learner=learner, rng=random.Random(7))
    return await aiohttp_client(app)


async def call(client: TestClient, method: str, path: str, status: int, **kwargs: Any) -> Any:
    response = await client.request(method, path, headers=AUTH, **kwargs)
    body = await response.json()
    assert response.status == status, body
    return body


async def test_off_by_default_quotes_are_todays_rules(aiohttp_client: Any, db_url: str) -> None:
    api = await start(aiohttp_client, db_url, Clock(), learner=None)
    quote = await call(api, "POST", "/quotes", 200, json=JACKET)
    assert quote["learner"] is None and quote["unit_price"] == "100.00" and quote["adjustments"] == []
    assert await call(api, "GET", "/learner/arms", 200) == {"enabled": False, "arms": []}
    refused = await call(api, "POST", f"/quotes/{quote['quote_id']}/outcome", 409, json={"bought": True})
    assert refused["error"]["code"] == "no_learned_offer"


async def test_a_learned_offer_is_explained_audited_and_learns_from_one_outcome(
    aiohttp_client: Any, db_url: str
) -> None:
    api = await start(aiohttp_client, db_url, Clock())
    quote = await call(api, "POST", "/quotes", 200, json=JACKET)
    learner = quote["learner"]
    assert learner["product_group"] == "apparel/clothing" and learner["segment"] == "vip"
    assert learner["previous_discount"] == 0 and learner["discount"] in (0, 5)  # one step from no offer
    assert learner["explanation"].startswith("learned offer:")
    assert learner["price"] == quote["unit_price"]
    if learner["discount"]:
        assert quote["adjustments"][-1]["kind"] == "learned"
    audit = await call(api, "GET", f"/quotes/{quote['quote_id']}", 200)
    arms = audit["inputs"]["learner"]["arms"]
    assert [a["discount"] for a in arms] == [0, 5, 10, 15, 20]
    assert all(a["excluded"] for a in arms if a["discount"] > 5)  # a step of 5 points at most

    before = await call(api, "GET", "/learner/arms", 200, params={"segment": "vip"})
    chosen = next(a for a in before["arms"] if a["discount"] == learner["discount"])
    assert chosen["offers"] == 1 and sum(a["offers"] for a in before["arms"]) == 1

    outcome = await call(api, "POST", f"/quotes/{quote['quote_id']}/outcome", 200, json={"bought": True})
    assert outcome["arm"]["alpha"] == pytest.approx(chosen["alpha"] + 1)
    assert outcome["arm"]["beta"] == pytest.approx(chosen["beta"]) and outcome["arm"]["purchases"] == 1
    again = await call(api, "POST", f"/quotes/{quote['quote_id']}/outcome", 409, json={"bought": False})
    assert again["error"]["code"] == "outcome_exists"
    assert (await call(api, "POST", "/quotes/999999/outcome", 404, json={"bought": True}))["error"]["code"] == (
        "quote_not_found"
    )


async def test_the_offer_moves_at_most_one_step_per_interval(aiohttp_client: Any, db_url: str) -> None:
    clock = Clock()
    api = await start(aiohttp_client, db_url, clock)
    seen: list[tuple[datetime, float, float]] = []
    for _ in range(12):
        quote = await call(api, "POST", "/quotes", 200, json=JACKET)
        learner = quote["learner"]
        seen.append((clock.now, learner["previous_discount"], learner["discount"]))
        # Nobody buys at no discount: the learner has a reason to move.
        await call(api, "POST", f"/quotes/{quote['quote_id']}/outcome", 200, json={"bought": learner["discount"] > 0})
        clock.now += timedelta(minutes=25)
    moves = [(at, before, after) for at, before, after in seen if after != before]
    assert moves, seen
    for (at, before, after), previous in zip(moves, [None, *moves[:-1]], strict=True):
        assert abs(after - before) <= 5
        assert previous is None or at - previous[0] >= timedelta(minutes=60)


async def test_state_survives_a_restart(aiohttp_client: Any, db_url: str) -> None:
    clock = Clock()
    first = await start(aiohttp_client, db_url, clock)
    quote = await call(first, "POST", "/quotes", 200, json=JACKET)
    await call(first, "POST", f"/quotes/{quote['quote_id']}/outcome", 200, json={"bought": False})
    arms = await call(first, "GET", "/learner/arms", 200)
    await first.close()
    second = await start(aiohttp_client, db_url, clock)
    assert await call(second, "GET", "/learner/arms", 200) == arms
    clock.now += timedelta(minutes=5)
    again = await call(second, "POST", "/quotes", 200, json=JACKET)
    assert again["learner"]["previous_discount"] == quote["learner"]["discount"]


async def test_the_floor_clips_the_learned_offer(aiohttp_client: Any, db_url: str) -> None:
    api = await start(aiohttp_client, db_url, Clock(), learner=LearnerSettings(enabled=True, max_step_percent=20))
    await call(api, "PUT", "/guardrails/JK-1-M", 200, json={"floor_price": "99.00"})
    for _ in range(5):
        quote = await call(api, "POST", "/quotes", 200, json=JACKET)
        assert quote["learner"]["discount"] == 0 and quote["unit_price"] == "100.00"
    audit = await call(api, "GET", f"/quotes/{quote['quote_id']}", 200)
    excluded = {a["discount"]: a["excluded"] for a in audit["inputs"]["learner"]["arms"]}
    assert excluded[5] == "below the floor price of $99.00" and excluded[0] is None


async def test_the_fairness_report_by_segment(aiohttp_client: Any, db_url: str, capsys: Any) -> None:
    clock = Clock()
    api = await start(aiohttp_client, db_url, clock)
    await call(api, "PUT", "/tiers/vip", 200, json={"percent": 10})
    for tier, customer in (("vip", "C1"), ("vip", "C2"), ("new", "C3")):
        await call(api, "POST", "/quotes", 200, json={**JACKET, "customer_tier": tier, "customer_id": customer})
    await call(
        api, "POST", "/quotes", 200, json={k: v for k, v in JACKET.items() if k not in ("customer_id", "customer_tier")}
    )
    clock.now += timedelta(hours=1)
    report = await call(api, "GET", "/fairness", 200)
    by_segment = {s["segment"]: s for s in report["segments"]}
    assert set(by_segment) == {"anonymous", "new", "vip"} and report["segment_features"] == ["tier"]
    assert (by_segment["vip"]["quotes"], by_segment["vip"]["customers"]) == (2, 2)
    assert by_segment["vip"]["mean_discount_percent"] >= 10 > by_segment["new"]["mean_discount_percent"]
    gap = max(s["mean_discount_percent"] for s in report["segments"]) - min(
        s["mean_discount_percent"] for s in report["segments"]
    )
    assert report["max_discount_gap_percent"] == pytest.approx(gap)
    assert (await call(api, "GET", "/fairness", 200, params={"until": "2025-08-01T00:00:00Z"}))["segments"] == []
    bad = await call(
        api, "GET", "/fairness", 422, params={"since": "2025-08-11T00:00:00Z", "until": "2025-08-10T00:00:00Z"}
    )
    assert bad["error"]["fields"] == {"since": "must be before until"}
    assert (await call(api, "GET", "/fairness", 422, params={"segment": "vip"}))["error"]["fields"] == {
        "segment": "unknown parameter"
    }
    await api.close()
    # The command reads the same database (in a thread: it runs its own event loop).
    if db_url.startswith("sqlite"):
        await asyncio.to_thread(fairness.main, ["--db", db_url, "--days", "100000", "--format", "json"])
        printed = json.loads(capsys.readouterr().out)
        assert printed["segments"] == report["segments"]
        await asyncio.to_thread(fairness.main, ["--db", db_url, "--days", "100000", "--format", "csv"])
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == ",".join(fairness.COLUMNS) and len(lines) == 4
