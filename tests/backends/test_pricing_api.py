"""The pricing API over real HTTP (aiohttp test client), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from backends.pricing.app import create_app
from backends.pricing.db import default_db_url
from backends.pricing.service import when

pytestmark = pytest.mark.asyncio

TOKEN = "pricing-test-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = datetime(2025, 8, 10, 12, 0)
SHIRT = {"sku": "SH-1-M", "product_id": "shirt-1", "category": "apparel/clothing/shirts", "base_price": "40.00"}


@pytest.fixture
def pricing_app(db_url: str) -> web.Application:
    return create_app(db_url, TOKEN, clock=lambda: NOW)


@pytest.fixture
async def api(aiohttp_client: Any, pricing_app: web.Application) -> TestClient:
    return await aiohttp_client(pricing_app)


async def call(client: TestClient, method: str, path: str, status: int, **kwargs: Any) -> Any:
    response = await client.request(method, path, headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs)
    body = None if response.status == 204 else await response.json()
    assert response.status == status, body
    return body


def error_of(body: dict) -> dict:
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]


async def test_health_is_public_and_names_the_database(api: TestClient, db_url: str) -> None:
    response = await api.get("/health")
    expected = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    assert response.status == 200 and await response.json() == {"status": "ok", "database": expected}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
async def test_no_or_wrong_token_is_401(api: TestClient, headers: dict) -> None:
    response = await api.post("/quotes", json=SHIRT, headers=headers)
    assert response.status == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert error_of(await response.json())["code"] == "unauthorized"
    assert (await api.get("/coupons", headers=headers)).status == 401


async def test_quote_with_sale_tier_and_coupon(api: TestClient) -> None:
    sale = {
        "name": "Summer sale",
        "kind": "percent",
        "value": 15,
        "scope": "category",
        "target": "apparel/clothing",
        "starts_at": "2025-08-01T00:00:00Z",
        "ends_at": "2025-08-31T23:00:00Z",
    }
    await call(api, "POST", "/sales", 201, json=sale)
    await call(api, "PUT", "/tiers/vip", 200, json={"percent": 10})
    coupon = {"code": "WELCOME10", "kind": "percent", "value": 10, "valid_from": "2025-08-01", "valid_to": "2025-12-31"}
    await call(api, "POST", "/coupons", 201, json=coupon)
    await call(api, "PUT", "/guardrails/shirt-1", 200, json={"floor_price": "20.00"})
    body = {**SHIRT, "customer_id": "C1", "customer_tier": "vip", "coupon_code": "welcome10", "quantity": 2}
    body["personalisation_consent"] = True
    quote = await call(api, "POST", "/quotes", 200, json=body)
    assert [a["explanation"] for a in quote["adjustments"]] == [
        "Summer sale: 15% off until 31 Aug",
        "10% VIP discount applied",
        "coupon WELCOME10: 10% off",
    ]
    assert (quote["unit_price"], quote["total"], quote["currency"]) == ("27.54", "55.08", "USD")
    assert quote["guardrail"] is None and quote["coupon_applied"] is True
    await call(api, "PUT", "/tiers/vip", 200, json={"percent": 50})
    floored = await call(api, "POST", "/quotes", 200, json=body)
    assert floored["unit_price"] == "20.00" and floored["guardrail"] == "held at the floor price of $20.00"
    audit = await call(api, "GET", f"/quotes/{floored['quote_id']}", 200)
    assert audit["guardrail"] == floored["guardrail"] and audit["inputs"]["coupon_code"] == "WELCOME10"
    await call(api, "GET", "/quotes/999999", 404)
    await call(api, "GET", "/quotes/%C2%B2", 422)  # "²" is a digit to str.isdigit(), not an id


async def test_quote_accepts_numbers_and_product_id_only(api: TestClient) -> None:
    quote = await call(api, "POST", "/quotes", 200, json={"product_id": "shirt-1", "base_price": 19.9})
    assert quote["unit_price"] == "19.90" and quote["sku"] is None and quote["adjustments"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"base_price": "40.00"}, "sku"),
        ({**SHIRT, "base_price": "-1"}, "base_price"),
        ({**SHIRT, "base_price": 0}, "base_price"),
        ({**SHIRT, "quantity": 0}, "quantity"),
        ({**SHIRT, "customer_tier": "gold"}, "customer_tier"),
        ({**SHIRT, "currency": "usd"}, "currency"),
        ({**SHIRT, "surprise": 1}, "body"),
        ({"sku": "SH-1-M"}, "body"),
    ],
)
async def test_bad_quote_input_is_422_with_a_message(api: TestClient, body: dict, field: str) -> None:
    error = error_of(await call(api, "POST", "/quotes", 422, json=body))
    assert error["code"] == "invalid_request" and field in error["fields"], error
    assert error["message"].startswith("Invalid ")


async def test_malformed_json_is_400(api: TestClient) -> None:
    error = error_of(await call(api, "POST", "/quotes", 400, data=b"{not json"))
    assert error["code"] == "malformed_json"


async def test_sales_crud_and_validation(api: TestClient) -> None:
    sale = {"name": "All", "kind": "amount", "value": 5, "scope": "all", "starts_at": when(NOW), "ends_at": when(NOW)}
    assert error_of(await call(api, "POST", "/sales", 422, json=sale))["fields"] == {
        "ends_at": "must be after starts_at"
    }
    later = when(NOW + timedelta(days=1))
    bad_scope = {**sale, "scope": "category", "ends_at": later}
    assert "target" in error_of(await call(api, "POST", "/sales", 422, json=bad_scope))["fields"]
    too_much = {**sale, "kind": "percent", "value": 100, "ends_at": later}
    assert "value" in error_of(await call(api, "POST", "/sales", 422, json=too_much))["fields"]
    created = await call(api, "POST", "/sales", 201, json={**sale, "ends_at": later})
    assert (await call(api, "GET", "/sales", 200))["sales"] == [created]
    quote = await call(api, "POST", "/quotes", 200, json=SHIRT)
    assert quote["unit_price"] == "35.00" and quote["adjustments"][0]["explanation"] == "All: $5.00 off until 11 Aug"
    await call(api, "DELETE", f"/sales/{created['id']}", 204)
    await call(api, "DELETE", f"/sales/{created['id']}", 404)
    await call(api, "DELETE", "/sales/abc", 422)
    garbage = error_of(await call(api, "POST", "/sales", 422, json={**sale, "starts_at": "soon"}))
    assert "starts_at" in garbage["fields"]


async def test_stock_rules(api: TestClient) -> None:
    low = await call(
        api, "POST", "/stock-rules", 201, json={"name": "Low stock", "max_stock": 3, "effect": "no_discount"}
    )
    high = {"name": "Plenty", "min_stock": 40, "effect": "percent_off", "percent": 5}
    await call(api, "POST", "/stock-rules", 201, json=high)
    await call(api, "POST", "/stock-rules", 422, json={"name": "No range", "effect": "no_discount"})
    await call(api, "POST", "/stock-rules", 422, json={"name": "x", "min_stock": 1, "effect": "percent_off"})
    assert len((await call(api, "GET", "/stock-rules", 200))["stock_rules"]) == 2
    plenty = await call(api, "POST", "/quotes", 200, json={**SHIRT, "stock": 50})
    assert plenty["unit_price"] == "38.00" and plenty["adjustments"][0]["explanation"] == "Plenty (50 in stock): 5% off"
    await call(api, "DELETE", f"/stock-rules/{low['id']}", 204)


async def test_tiers_and_customer_tiers(api: TestClient) -> None:
    await call(api, "PUT", "/tiers/regular", 200, json={"percent": 5})
    tiers = await call(api, "GET", "/tiers", 200)
    assert tiers["tiers"] == [
        {"tier": "new", "percent": 0.0},
        {"tier": "regular", "percent": 5.0},
        {"tier": "vip", "percent": 0.0},
    ]
    await call(api, "PUT", "/tiers/gold", 422, json={"percent": 5})
    await call(api, "PUT", "/tiers/vip", 422, json={"percent": 100})
    assert await call(api, "GET", "/customers/C1/tier", 200) == {"customer_id": "C1", "tier": "new", "recorded": False}
    await call(api, "PUT", "/customers/C1/tier", 200, json={"tier": "regular"})
    quote = await call(
        api, "POST", "/quotes", 200, json={**SHIRT, "customer_id": "C1", "personalisation_consent": True}
    )
    assert quote["unit_price"] == "38.00" and quote["tier_source"] == "recorded"
    public = await call(api, "POST", "/quotes", 200, json={**SHIRT, "customer_id": "C1"})
    assert public["unit_price"] == "40.00" and public["tier_source"] == "no_consent"
    await call(api, "POST", "/quotes", 422, json={**SHIRT, "customer_id": "C1", "personalisation_consent": "yes"})


async def test_guardrails(api: TestClient) -> None:
    await call(api, "PUT", "/guardrails/default", 200, json={"ceiling_price": "30.00"})
    await call(api, "PUT", "/guardrails/default", 422, json={"floor_price": "30.00", "ceiling_price": "20.00"})
    await call(api, "PUT", "/guardrails/default", 422, json={"max_daily_change_percent": 0})
    listed = await call(api, "GET", "/guardrails", 200)
    assert listed["guardrails"][0]["ceiling_price"] == "30.00"
    quote = await call(api, "POST", "/quotes", 200, json=SHIRT)
    assert quote["unit_price"] == "30.00" and quote["guardrail"] == "held at the ceiling price of $30.00"


async def test_coupons_and_redemption(api: TestClient) -> None:
    coupon = {"code": "LAST", "kind": "amount", "value": 5, "valid_from": "2025-08-01", "valid_to": "2025-09-01"}
    await call(api, "POST", "/coupons", 201, json={**coupon, "max_uses": 1})
    assert error_of(await call(api, "POST", "/coupons", 409, json=coupon))["code"] == "coupon_exists"
    await call(api, "POST", "/coupons", 422, json={**coupon, "code": "no spaces"})
    redeemed = await call(api, "POST", "/coupons/last/redeem", 200, json={"customer_id": "C1", "order_value": "40.00"})
    assert redeemed["coupon"]["uses"] == 1
    refused = error_of(
        await call(api, "POST", "/coupons/LAST/redeem", 409, json={"customer_id": "C2", "order_value": 40})
    )
    assert refused == {"code": "coupon_refused", "message": "Coupon LAST has been used up."}
    await call(api, "POST", "/coupons/NOPE/redeem", 404, json={"customer_id": "C2", "order_value": 40})
    await call(api, "POST", "/coupons/LAST/redeem", 422, json={"customer_id": "C2"})
    assert (await call(api, "GET", "/coupons/LAST", 200))["uses"] == 1
    assert [c["code"] for c in (await call(api, "GET", "/coupons", 200))["coupons"]] == ["LAST"]
    expired = {**coupon, "code": "OLD", "valid_to": "2025-08-05"}
    await call(api, "POST", "/coupons", 201, json=expired)
    refused = error_of(
        await call(api, "POST", "/coupons/OLD/redeem", 409, json={"customer_id": "C1", "order_value": 40})
    )
    assert refused["message"] == "Coupon OLD expired on 05 Aug 2025."


async def test_goodwill(api: TestClient) -> None:
    assert error_of(await call(api, "GET", "/goodwill/budget", 404))["code"] == "no_budget"
    refused = error_of(await call(api, "POST", "/goodwill", 409, json={"customer_id": "C1", "reason": "late"}))
    assert refused["code"] == "no_budget"
    budget = {"daily_budget": "20.00", "per_customer_budget": "10.00", "default_amount": "10.00"}
    set_budget = await call(api, "PUT", "/goodwill/budget", 200, json=budget)
    assert set_budget["per_customer_window_days"] == 30 and set_budget["valid_days"] == 30
    offer = await call(api, "POST", "/goodwill", 201, json={"customer_id": "C1", "reason": "late", "order_number": "1"})
    assert offer["amount"] == "10.00" and offer["order_number"] == "1"
    again = error_of(await call(api, "POST", "/goodwill", 409, json={"customer_id": "C1", "reason": "late"}))
    assert again["code"] == "goodwill_refused" and "already received 10.00" in again["message"]
    await call(api, "POST", "/goodwill", 422, json={"customer_id": "C1"})
    quote = await call(
        api, "POST", "/quotes", 200, json={**SHIRT, "customer_id": "C1", "coupon_code": offer["coupon_code"]}
    )
    assert quote["unit_price"] == "30.00"


async def test_unknown_route_and_method(api: TestClient) -> None:
    assert error_of(await call(api, "GET", "/nope", 404))["code"] == "not_found"
    assert error_of(await call(api, "DELETE", "/quotes", 405))["code"] == "method_not_allowed"


async def test_token_required_and_default_database_under_assistant_var() -> None:
    with pytest.raises(ValueError, match="token"):
        create_app("sqlite+aiosqlite:///:memory:", "")
    assert default_db_url({"ASSISTANT_VAR": "/srv/shop"}) == "sqlite+aiosqlite:////srv/shop/pricing.sqlite"
    assert default_db_url({}) == "sqlite+aiosqlite:///var/pricing.sqlite"
