"""The retention API over real HTTP (aiohttp test client), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from backends.retention.api import SERVICE
from backends.retention.app import create_app
from backends.retention.rescore import rescore
from backends.retention.seed import history
from backends.retention.settings import Settings
from backends.retention.tables import RiskScore

pytestmark = pytest.mark.asyncio

TOKEN = "retention-test-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = datetime(2026, 6, 1, 12, 0)
SETTINGS = Settings(offer_uplift=0.5)


@pytest.fixture
def retention_app(db_url: str) -> web.Application:
    return create_app(db_url, TOKEN, settings=SETTINGS, clock=lambda: NOW)


@pytest.fixture
async def api(aiohttp_client: Any, retention_app: web.Application) -> TestClient:
    return await aiohttp_client(retention_app)


async def call(client: TestClient, method: str, path: str, status: int, **kwargs: Any) -> Any:
    response = await client.request(method, path, headers=AUTH, **kwargs)
    body = await response.json()
    assert response.status == status, body
    return body


def scored(customer_id: str, risk: float, value: str, tier: str) -> RiskScore:
    return RiskScore(
        customer_id=customer_id,
        risk=risk,
        value=Decimal(value),
        tier=tier,
        reasons=["support conversations (3)"],
        scored_at=NOW,
        model="test",
    )


async def test_health_is_public_and_the_rest_needs_the_token(api: TestClient, db_url: str) -> None:
    response = await api.get("/health")
    expected = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    assert response.status == 200 and await response.json() == {"status": "ok", "database": expected}
    assert (await api.get("/report")).status == 401
    assert (await api.get("/customers/c1/risk", headers={"Authorization": "Bearer wrong"})).status == 401


async def test_unscored_customer_is_404(api: TestClient) -> None:
    body = await call(api, "GET", "/customers/nobody/risk?personalisation_consent=true", 404)
    assert body["error"]["code"] == "not_scored"
    assert await call(api, "POST", "/customers/nobody/offers", 404, json={"kind": "goodwill", "cost": 5})


async def test_no_churn_profile_without_consent(api: TestClient, retention_app: web.Application) -> None:
    """A scored customer's risk is given only for a shopper who consented, whoever asks with their id."""
    await retention_app[SERVICE].replace_scores([scored("vip", 0.8, "1000.00", "high")])
    for query in ("", "?personalisation_consent=false", "?personalisation_consent=yes"):
        refused = await call(api, "GET", f"/customers/vip/risk{query}", 403)
        assert refused["error"]["code"] == "consent_required" and "0.8" not in str(refused)
    assert (await call(api, "GET", "/customers/vip/risk?personalisation_consent=true", 200))["tier"] == "high"


async def test_risk_offers_and_report(api: TestClient, retention_app: web.Application) -> None:
    await retention_app[SERVICE].replace_scores(
        [scored("vip", 0.8, "1000.00", "high"), scored("calm", 0.1, "300.00", "low")]
    )
    risk = await call(api, "GET", "/customers/vip/risk?personalisation_consent=true", 200)
    assert risk == {
        "customer_id": "vip",
        "risk": 0.8,
        "tier": "high",
        "value": "1000.00",
        "reasons": ["support conversations (3)"],
        "scored_at": "2026-06-01T12:00:00Z",
        "model": "test",
    }
    offer = await call(api, "POST", "/customers/vip/offers", 201, json={"kind": "goodwill", "cost": 25})
    assert offer["cost"] == "25.00" and offer["tier"] == "high" and offer["at"] == "2026-06-01T12:00:00Z"
    report = await call(api, "GET", "/report", 200)
    tiers = {t["tier"]: t for t in report["tiers"]}
    assert tiers["high"] == {
        "tier": "high",
        "customers": 1,
        "value_at_risk": "800.00",
        "offers": 1,
        "offer_cost": "25.00",
        "expected_value_saved": "400.00",  # 0.8 × 1000 × uplift 0.5
    }
    assert tiers["low"]["customers"] == 1 and tiers["low"]["value_at_risk"] == "30.00"
    assert tiers["medium"]["customers"] == 0
    assert (report["offers"], report["offer_cost"], report["expected_value_saved"]) == (1, "25.00", "400.00")


async def test_events_are_recorded_and_rescoring_uses_them(api: TestClient, retention_app: web.Application) -> None:
    events, profiles = history(7, NOW, ["demo-a", "demo-b"])
    payload = [
        {"customer_id": e.customer_id, "at": e.at.isoformat() + "Z", "kind": e.kind, "amount": e.amount} for e in events
    ]
    for start in range(0, len(payload), 500):
        await call(api, "POST", "/events", 200, json={"events": payload[start : start + 500]})
    service = retention_app[SERVICE]
    assert len(await service.events()) == len(events)
    await rescore(service, NOW, SETTINGS)
    leaving = await call(api, "GET", "/customers/demo-a/risk?personalisation_consent=true", 200)
    loyal = await call(api, "GET", "/customers/demo-b/risk?personalisation_consent=true", 200)
    assert profiles == {"demo-a": "leaving", "demo-b": "loyal"}
    assert leaving["risk"] > loyal["risk"] and leaving["tier"] == "high" and loyal["tier"] == "low"
    assert leaving["reasons"] and leaving["model"] == "lightgbm+isotonic"


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": [{"customer_id": "c1", "at": "yesterday", "kind": "purchase"}]},
        {"events": [{"customer_id": "c1", "at": "2026-01-01T00:00:00Z", "kind": "browse"}]},
        {"events": [{"customer_id": "", "at": "2026-01-01T00:00:00Z", "kind": "purchase"}]},
    ],
)
async def test_bad_events_are_422(api: TestClient, body: dict) -> None:
    error = (await call(api, "POST", "/events", 422, json=body))["error"]
    assert error["code"] and error["message"]


async def test_old_scores_are_replaced_whole(retention_app: web.Application, api: TestClient) -> None:
    service = retention_app[SERVICE]
    await service.replace_scores([scored("a", 0.5, "10.00", "medium")])
    await service.replace_scores([scored("b", 0.5, "10.00", "medium")])
    await call(api, "GET", "/customers/a/risk?personalisation_consent=true", 404)
    await call(api, "GET", "/customers/b/risk?personalisation_consent=true", 200)


async def test_a_time_before_year_one_in_utc_is_422(api: TestClient) -> None:
    body = {"events": [{"customer_id": "c1", "at": "0001-01-01T00:00:00+01:00", "kind": "purchase"}]}
    await call(api, "POST", "/events", 422, json=body)
