"""/openapi.json describes exactly the routes the app serves, and real responses match its schemas."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from backends.orders.openapi import schema_for
from backends.orders.service import utcnow
from contracts.orders import OrderStatus
from tests.backends.shop import AUTH, Shop

pytestmark = pytest.mark.asyncio


def app_routes(app: web.Application) -> set[tuple[str, str]]:
    routes = set()
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS"):
            continue
        path = route.resource.canonical if route.resource else ""
        routes.add((route.method.lower(), path))
    return routes


async def spec_of(client: TestClient) -> dict:
    response = await client.get("/openapi.json")
    assert response.status == 200
    return await response.json()


async def test_spec_and_routes_match_exactly(client: TestClient, app: web.Application) -> None:
    spec = await spec_of(client)
    assert spec["openapi"].startswith("3.")
    in_spec = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert app_routes(app) == in_spec
    for path, item in spec["paths"].items():
        for operation in item.values():
            declared = {p["$ref"].rsplit("/", 1)[-1] for p in operation.get("parameters", []) if "$ref" in p}
            names = {spec["components"]["parameters"][d]["name"] for d in declared}
            assert set(re.findall(r"{(\w+)}", path)) <= names, path


async def test_spec_schemas_are_valid_json_schema(client: TestClient) -> None:
    spec = await spec_of(client)
    for name in spec["components"]["schemas"]:
        schema = schema_for(spec, name)
        validator_for(schema).check_schema(schema)


def check(spec: dict, path: str, method: str, status: int, body: object) -> None:
    """Validates `body` against the schema the spec declares for this path, method and status."""
    response = spec["paths"][path][method]["responses"][str(status)]
    ref = response["content"]["application/json"]["schema"]["$ref"]
    schema = {"$ref": ref, "components": spec["components"]}
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(body)


async def test_responses_validate_against_the_spec(client: TestClient, shop: Shop) -> None:
    spec = await spec_of(client)
    delivered = await shop.order(OrderStatus.DELIVERED, delivered_at=utcnow() - timedelta(days=3))
    processing = await shop.order(OrderStatus.PROCESSING)
    unpaid = await shop.order(OrderStatus.PENDING_PAYMENT)
    calls = [
        ("GET", "/health", "/health", 200, None),
        ("GET", f"/orders/{delivered}", "/orders/{order_number}", 200, None),
        ("GET", "/customers/C1", "/customers/{customer_id}", 200, None),
        ("GET", "/customers/C1/orders", "/customers/{customer_id}/orders", 200, None),
        ("POST", f"/orders/{delivered}/verify", "/orders/{order_number}/verify", 200, {"postcode": "62704"}),
        ("GET", f"/orders/{delivered}/tracking", "/orders/{order_number}/tracking", 200, None),
        ("GET", f"/orders/{delivered}/invoice", "/orders/{order_number}/invoice", 200, None),
        ("POST", f"/orders/{delivered}/returns", "/orders/{order_number}/returns", 201, {"reason": "too big"}),
        ("GET", f"/orders/{delivered}/refunds", "/orders/{order_number}/refunds", 200, None),
        ("POST", f"/orders/{processing}/cancel", "/orders/{order_number}/cancel", 200, {"reason": "dup"}),
        ("POST", f"/orders/{delivered}/cancel", "/orders/{order_number}/cancel", 409, {"reason": "dup"}),
        ("GET", f"/orders/{unpaid}/invoice", "/orders/{order_number}/invoice", 409, None),
        ("GET", "/orders/999999", "/orders/{order_number}", 404, None),
        ("GET", "/orders/12", "/orders/{order_number}", 422, None),
        ("POST", f"/orders/{unpaid}/status", "/orders/{order_number}/status", 200, {"status": "payment_failed"}),
        ("GET", f"/orders/{processing}/audit", "/orders/{order_number}/audit", 200, None),
        ("PUT", f"/orders/{unpaid}/shipping-address", "/orders/{order_number}/shipping-address", 422, {"x": 1}),
        ("POST", "/refunds/1/decision", "/refunds/{refund_id}/decision", 200, {"status": "approved"}),
    ]
    for method, url, template, status, body in calls:
        extra = {"json": body} if body else {}
        response = await client.request(method, url, headers=AUTH, **extra)
        assert response.status == status, (url, await response.text())
        check(spec, template, method.lower(), status, await response.json())
    response = await client.post(f"/orders/{delivered}/verify", headers=AUTH, data=b"{")
    check(spec, "/orders/{order_number}/verify", "post", 400, await response.json())
    response = await client.get("/orders/100001", headers={"Authorization": "Bearer nope"})
    check(spec, "/orders/{order_number}", "get", 401, await response.json())
