"""/openapi.json of the pricing backend describes exactly its routes, and real responses match it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from backends.pricing.app import create_app
from backends.pricing.openapi import REQUEST_BODIES, schema_for

pytestmark = pytest.mark.asyncio

TOKEN = "pricing-test-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NOW = datetime(2025, 8, 10, 12, 0)
SHIRT = {"sku": "SH-1-M", "product_id": "shirt-1", "category": "apparel/clothing", "base_price": "40.00"}


@pytest.fixture
def pricing_app(db_url: str) -> web.Application:
    return create_app(db_url, TOKEN, clock=lambda: NOW)


@pytest.fixture
async def api(aiohttp_client: Any, pricing_app: web.Application) -> TestClient:
    return await aiohttp_client(pricing_app)


def app_routes(app: web.Application) -> set[tuple[str, str]]:
    return {
        (route.method.lower(), route.resource.canonical if route.resource else "")
        for route in app.router.routes()
        if route.method not in ("HEAD", "OPTIONS")
    }


async def spec_of(client: TestClient) -> dict:
    response = await client.get("/openapi.json")
    assert response.status == 200
    return await response.json()


async def test_spec_and_routes_match_exactly(api: TestClient, pricing_app: web.Application) -> None:
    spec = await spec_of(api)
    assert spec["openapi"] == "3.1.0" and spec["servers"] == [{"url": "http://127.0.0.1:8103"}]
    in_spec = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert app_routes(pricing_app) == in_spec
    for path, item in spec["paths"].items():
        for operation in item.values():
            declared = {p["$ref"].rsplit("/", 1)[-1] for p in operation.get("parameters", []) if "$ref" in p}
            names = {spec["components"]["parameters"][d]["name"] for d in declared}
            assert set(re.findall(r"{(\w+)}", path)) == names, path
            body = operation.get("requestBody")
            if body:
                assert body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1] in REQUEST_BODIES


async def test_spec_schemas_are_valid_json_schema(api: TestClient) -> None:
    spec = await spec_of(api)
    for name in spec["components"]["schemas"]:
        schema = schema_for(spec, name)
        validator_for(schema).check_schema(schema)


def check(spec: dict, path: str, method: str, status: int, body: object) -> None:
    response = spec["paths"][path][method]["responses"][str(status)]
    if status == 204:
        assert "content" not in response and body is None
        return
    schema = {"$ref": response["content"]["application/json"]["schema"]["$ref"], "components": spec["components"]}
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(body)


async def test_responses_validate_against_the_spec(api: TestClient) -> None:
    spec = await spec_of(api)
    sale = {
        "name": "Summer sale",
        "kind": "percent",
        "value": 15,
        "scope": "category",
        "target": "apparel",
        "starts_at": "2025-08-01T00:00:00Z",
        "ends_at": "2025-08-31T00:00:00Z",
    }
    coupon = {"code": "WELCOME10", "kind": "percent", "value": 10, "valid_from": "2025-08-01", "valid_to": "2026-01-01"}
    budget = {"daily_budget": "50.00", "per_customer_budget": "20.00", "default_amount": "10.00"}
    quote = {**SHIRT, "customer_id": "C1", "coupon_code": "WELCOME10", "stock": 2}
    calls: list[tuple[str, str, str, int, object]] = [
        ("GET", "/health", "/health", 200, None),
        ("GET", "/goodwill/budget", "/goodwill/budget", 404, None),
        ("POST", "/goodwill", "/goodwill", 409, {"customer_id": "C1", "reason": "late"}),
        ("PUT", "/goodwill/budget", "/goodwill/budget", 200, budget),
        ("GET", "/goodwill/budget", "/goodwill/budget", 200, None),
        ("POST", "/goodwill", "/goodwill", 201, {"customer_id": "C1", "reason": "late"}),
        ("POST", "/sales", "/sales", 201, sale),
        ("POST", "/sales", "/sales", 422, {**sale, "value": -1}),
        ("GET", "/sales", "/sales", 200, None),
        ("POST", "/stock-rules", "/stock-rules", 201, {"name": "Low", "max_stock": 3, "effect": "no_discount"}),
        ("GET", "/stock-rules", "/stock-rules", 200, None),
        ("PUT", "/tiers/vip", "/tiers/{tier}", 200, {"percent": 10}),
        ("GET", "/tiers", "/tiers", 200, None),
        ("PUT", "/customers/C1/tier", "/customers/{customer_id}/tier", 200, {"tier": "vip"}),
        ("GET", "/customers/C1/tier", "/customers/{customer_id}/tier", 200, None),
        ("PUT", "/guardrails/default", "/guardrails/{key}", 200, {"floor_price": "5.00", "ceiling_price": None}),
        ("GET", "/guardrails", "/guardrails", 200, None),
        ("POST", "/coupons", "/coupons", 201, coupon),
        ("POST", "/coupons", "/coupons", 409, coupon),
        ("GET", "/coupons", "/coupons", 200, None),
        ("GET", "/coupons/WELCOME10", "/coupons/{code}", 200, None),
        ("GET", "/coupons/NOPE1", "/coupons/{code}", 404, None),
        ("POST", "/quotes", "/quotes", 200, quote),
        ("POST", "/quotes", "/quotes", 200, {**quote, "stock": 20}),
        ("POST", "/quotes", "/quotes", 422, {"base_price": "1.00"}),
        ("GET", "/quotes/1", "/quotes/{quote_id}", 200, None),
        ("GET", "/quotes/77", "/quotes/{quote_id}", 404, None),
        ("POST", "/coupons/WELCOME10/redeem", "/coupons/{code}/redeem", 200, {"customer_id": "C1", "order_value": 40}),
        ("POST", "/coupons/WELCOME10/redeem", "/coupons/{code}/redeem", 422, {"order_value": 40}),
        ("DELETE", "/stock-rules/1", "/stock-rules/{rule_id}", 204, None),
        ("DELETE", "/sales/1", "/sales/{sale_id}", 204, None),
        ("DELETE", "/sales/1", "/sales/{sale_id}", 404, None),
    ]
    for method, url, template, status, body in calls:
        extra = {"json": body} if body is not None else {}
        response = await api.request(method, url, headers=AUTH, **extra)
        assert response.status == status, (url, await response.text())
        assert str(status) in spec["paths"][template][method.lower()]["responses"], (template, status)
        check(spec, template, method.lower(), status, None if status == 204 else await response.json())
    response = await api.post("/quotes", headers=AUTH, data=b"{")
    check(spec, "/quotes", "post", 400, await response.json())
    response = await api.get("/sales", headers={"Authorization": "Bearer nope"})
    check(spec, "/sales", "get", 401, await response.json())
