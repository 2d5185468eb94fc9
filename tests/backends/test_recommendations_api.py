"""The recommendations service over real HTTP, on SQLite and on PostgreSQL (db_url from conftest)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for
from sqlalchemy import select

from backends.recommendations import ab_report
from backends.recommendations.api import SERVICE
from backends.recommendations.app import create_app
from backends.recommendations.capping import CapConfig
from backends.recommendations.db import create_tables, make_engine, make_sessions
from backends.recommendations.demo import demo_items
from backends.recommendations.openapi import schema_for
from backends.recommendations.service import RecommendationService
from backends.recommendations.settings import Settings
from backends.recommendations.tables import Conversion, RecList

pytestmark = pytest.mark.asyncio

TOKEN = "recs-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ITEMS = demo_items()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 4, 10, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(db_url: str, clock: Clock) -> web.Application:
    settings = Settings(caps=CapConfig(item_max=2, lists_max=3))
    return create_app(db_url, TOKEN, settings=settings, items=ITEMS, clock=clock)


async def call(client: TestClient, method: str, path: str, status: int, **kwargs: object) -> dict:
    response = await client.request(method, path, headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs)
    body = await response.json()
    assert response.status == status, body
    return body


async def shop_history(client: TestClient, app: web.Application) -> RecommendationService:
    """Phone buyers also buy the charger; hikers buy boots and socks. Then a full retrain."""
    for n in range(4):
        for product in ("aero-12", "voltpath-20w-usb-c-charger"):
            await call(
                client,
                "POST",
                "/interactions",
                201,
                json={"customer_id": f"P{n}", "product_id": product, "type": "purchase"},
            )
        for product in ("granite-hiking-boots", "merino-hiking-socks"):
            await call(
                client,
                "POST",
                "/interactions",
                201,
                json={"customer_id": f"H{n}", "product_id": product, "type": "purchase"},
            )
    service = app[SERVICE]
    await service.retrain()
    return service


async def test_health_and_no_token(client: TestClient, db_url: str) -> None:
    health = await call(client, "GET", "/health", 200, headers={"Authorization": ""})
    assert health["database"] == ("postgresql" if db_url.startswith("postgresql") else "sqlite")
    assert health["model"]["items"] == len(ITEMS.items)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = await client.get("/recommendations", headers=headers)
        assert response.status == 401 and response.headers["WWW-Authenticate"] == "Bearer"
        assert (await response.json())["error"]["code"] == "unauthorized"
    response = await client.post("/interactions", json={})
    assert response.status == 401


@pytest.mark.parametrize(
    "query",
    [
        "k=0",
        "k=51",
        "k=ten",
        "customer_id=a%20b",
        "product_id=" + "x" * 200,
        "cart=ok,bad%20sku",
        "conversation_id=%3B",
    ],
)
async def test_bad_queries_are_422(client: TestClient, query: str) -> None:
    body = await call(client, "GET", f"/recommendations?{query}", 422)
    assert body["error"]["code"] == "invalid_request" and body["error"]["fields"]


@pytest.mark.parametrize(
    "body",
    [
        {"customer_id": "C1", "product_id": "aero-12"},
        {"customer_id": "C1", "product_id": "aero-12", "type": "like"},
        {"customer_id": "C1", "product_id": "aero-12", "type": "rating"},
        {"customer_id": "C1", "product_id": "aero-12", "type": "rating", "rating": 9},
        {"customer_id": "", "product_id": "aero-12", "type": "view"},
        {"customer_id": "C1", "product_id": "aero-12", "type": "view", "extra": 1},
        {"customer_id": "C1", "product_id": "aero-12", "type": "view", "occurred_at": "yesterday"},
        ["not", "an", "object"],
    ],
)
async def test_bad_interactions_are_422(client: TestClient, body: object) -> None:
    assert (await call(client, "POST", "/interactions", 422, json=body))["error"]["code"] == "invalid_request"


async def test_malformed_json_is_400(client: TestClient) -> None:
    body = await call(client, "POST", "/conversions", 400, data=b"{")
    assert body["error"]["code"] == "malformed_json"
    await call(client, "POST", "/conversions", 422, json={"customer_id": "C1"})


async def test_recommendations_with_reasons_and_fold_in(client: TestClient, app: web.Application) -> None:
    await shop_history(client, app)
    cold = await call(client, "GET", "/recommendations?customer_id=NEW&personalisation_consent=true&k=3", 200)
    assert cold["items"] and all(item["source"] == "popularity" for item in cold["items"])
    # A purchase posted now counts on the next request, without a retrain.
    await call(
        client, "POST", "/interactions", 201, json={"customer_id": "NEW", "product_id": "aero-12", "type": "purchase"}
    )
    warm = await call(client, "GET", "/recommendations?customer_id=NEW&personalisation_consent=true&k=3", 200)
    first = warm["items"][0]
    assert first["product_id"] == "voltpath-20w-usb-c-charger"
    assert first["reason"] == "people who bought Aero 12 also bought" and first["title"]
    assert "aero-12" not in [item["product_id"] for item in warm["items"]]
    assert warm["variant"] in {"hybrid", "item_cf"} and warm["list_id"] > cold["list_id"]


async def test_cart_context(client: TestClient, app: web.Application) -> None:
    await shop_history(client, app)
    sku = next(item.skus[0] for item in ITEMS.items if item.id == "aero-12")
    found = await call(client, "GET", f"/recommendations?cart={sku}&k=10", 200)
    reasons = {item["product_id"]: item["reason"] for item in found["items"]}
    assert reasons["aero-12-clear-case"] == "goes with Aero 12"
    assert "aero-12" not in reasons


async def test_frequency_capping(client: TestClient, app: web.Application, clock: Clock) -> None:
    await shop_history(client, app)
    shown: dict[str, int] = {}
    for _ in range(3):
        found = await call(client, "GET", "/recommendations?customer_id=H0&personalisation_consent=true&k=3", 200)
        for item in found["items"]:
            shown[item["product_id"]] = shown.get(item["product_id"], 0) + 1
    assert shown and max(shown.values()) <= 2  # item_max=2 per 24 h
    clock.now += timedelta(hours=25)
    again = await call(client, "GET", "/recommendations?customer_id=H0&personalisation_consent=true&k=3", 200)
    assert {item["product_id"] for item in again["items"]} & {p for p, n in shown.items() if n == 2}

    for n in range(3):  # different shoppers, so item caps do not empty the lists
        listed = await call(
            client, "GET", f"/recommendations?customer_id=P{n}&personalisation_consent=true&conversation_id=conv-1", 200
        )
        assert not listed["capped"] and listed["items"]
    capped = await call(
        client, "GET", "/recommendations?customer_id=P3&personalisation_consent=true&conversation_id=conv-1", 200
    )
    assert capped["capped"] is True and capped["items"] == [] and capped["list_id"] is None
    assert not (await call(client, "GET", "/recommendations?conversation_id=conv-2", 200))["capped"]
    clock.now += timedelta(minutes=61)
    assert not (await call(client, "GET", "/recommendations?conversation_id=conv-1", 200))["capped"]


async def test_conversions_are_attributed_to_the_variant(
    client: TestClient, app: web.Application, clock: Clock
) -> None:
    service = await shop_history(client, app)
    found = await call(client, "GET", "/recommendations?customer_id=P0&personalisation_consent=true&k=5", 200)
    product = found["items"][0]["product_id"]
    clock.now += timedelta(hours=2)
    bought = await call(
        client, "POST", "/interactions", 201, json={"customer_id": "P0", "product_id": product, "type": "purchase"}
    )
    assert bought["attributed_variant"] == found["variant"]
    again = await call(
        client, "POST", "/conversions", 201, json={"customer_id": "P0", "product_id": product, "order_id": "104532"}
    )
    assert again == {"attributed": True, "variant": found["variant"]}
    never = await call(client, "POST", "/conversions", 201, json={"customer_id": "P0", "product_id": "wool-beanie"})
    assert never == {"attributed": False, "variant": None}
    await call(client, "GET", "/recommendations?customer_id=H1&personalisation_consent=true&k=5", 200)
    counts = await service.variant_counts()
    assert counts[found["variant"]][1] == 1  # one converted shopper, however often reported
    assert sum(exposed for exposed, _ in counts.values()) == 2
    clock.now += timedelta(days=8)
    late = await call(client, "POST", "/conversions", 201, json={"customer_id": "H1", "product_id": product})
    assert late["attributed"] is False  # outside the 7-day attribution window


async def test_ab_report_command(client: TestClient, app: web.Application, db_url: str) -> None:
    await call(client, "GET", "/recommendations?customer_id=C1&personalisation_consent=true", 200)
    counts = await ab_report.variant_counts(db_url, None)
    assert sum(exposed for exposed, _ in counts.values()) == 1


def app_routes(app: web.Application) -> set[tuple[str, str]]:
    return {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.method not in ("HEAD", "OPTIONS") and route.resource
    }


def check(spec: dict, path: str, method: str, status: int, body: object) -> None:
    ref = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]["$ref"]
    Draft202012Validator({"$ref": ref, "components": spec["components"]}).validate(body)


async def test_openapi_matches_routes_and_responses(client: TestClient, app: web.Application) -> None:
    spec = await call(client, "GET", "/openapi.json", 200, headers={"Authorization": ""})
    assert {(method, path) for path, item in spec["paths"].items() for method in item} == app_routes(app)
    for name in spec["components"]["schemas"]:
        schema = schema_for(spec, name)
        validator_for(schema).check_schema(schema)
    await shop_history(client, app)
    interaction = {"customer_id": "P1", "product_id": "aero-12", "type": "rating", "rating": 5}
    calls = [
        ("GET", "/health", "/health", 200, None),
        ("POST", "/interactions", "/interactions", 201, interaction),
        ("POST", "/interactions", "/interactions", 422, {"type": "view"}),
        ("POST", "/conversions", "/conversions", 201, {"customer_id": "P1", "product_id": "aero-12"}),
        ("GET", "/recommendations?customer_id=P1&product_id=aero-12&k=4", "/recommendations", 200, None),
        ("GET", "/recommendations?k=0", "/recommendations", 422, None),
    ]
    for method, url, template, status, body in calls:
        extra = {"json": body} if body else {}
        check(spec, template, method.lower(), status, await call(client, method, url, status, **extra))
    response = await client.get("/recommendations")
    check(spec, "/recommendations", "get", 401, await response.json())
    assert all(re.fullmatch(r"/[\w/.{}-]*", path) for path in spec["paths"])


async def test_without_consent_the_customer_id_is_not_used(client: TestClient, app: web.Application) -> None:
    """The same customer, whose history makes the charger the top pick: without consent their id is
    ignored (the list is the one any shopper gets for the same product), with it the list is theirs."""
    await shop_history(client, app)
    await call(
        client, "POST", "/interactions", 201, json={"customer_id": "NEW", "product_id": "aero-12", "type": "purchase"}
    )
    personal = await call(client, "GET", "/recommendations?customer_id=NEW&personalisation_consent=true&k=3", 200)
    assert personal["personalised"] is True and personal["customer_id"] == "NEW"
    assert personal["items"][0]["product_id"] == "voltpath-20w-usb-c-charger"
    for query in ("customer_id=NEW&k=3", "customer_id=NEW&personalisation_consent=false&k=3"):
        public = await call(client, "GET", f"/recommendations?{query}", 200)
        assert public["personalised"] is False and public["customer_id"] is None
        assert all(item["source"] == "popularity" for item in public["items"]), public["items"]
        anonymous = await call(client, "GET", "/recommendations?k=3", 200)
        assert [i["product_id"] for i in public["items"]] == [i["product_id"] for i in anonymous["items"]]
    # Still helpful: the product asked about shapes a non-personal list.
    about = await call(client, "GET", "/recommendations?customer_id=NEW&product_id=aero-12&k=3", 200)
    assert about["personalised"] is False and about["items"]
    assert "aero-12" not in [item["product_id"] for item in about["items"]]
    refused = await call(client, "GET", "/recommendations?customer_id=NEW&personalisation_consent=yes", 422)
    assert refused["error"]["fields"] == {
        "personalisation_consent": refused["error"]["fields"]["personalisation_consent"]
    }


async def test_clicks_purchases_and_revenue_are_attributed(
    client: TestClient, app: web.Application, clock: Clock
) -> None:
    """A view of a recommended item is a click, a purchase carries its revenue; a list shown without
    consent names no customer, so that customer's purchase is credited to no list."""
    await shop_history(client, app)
    shown = await call(client, "GET", "/recommendations?customer_id=P0&personalisation_consent=true&k=3", 200)
    product = shown["items"][0]["product_id"]
    clock.now += timedelta(hours=1)
    for kind in ("view", "view", "add_to_cart"):  # two views and an add-to-cart: one click of this list and item
        await call(
            client, "POST", "/interactions", 201, json={"customer_id": "P0", "product_id": product, "type": kind}
        )
    bought = {"customer_id": "P0", "product_id": product, "type": "purchase"}
    assert (await call(client, "POST", "/interactions", 201, json=bought))["attributed_variant"] == shown["variant"]
    # The shop reports the same purchase with its order and amount: still one purchase, now with revenue.
    order = {"customer_id": "P0", "product_id": product, "order_id": "104532", "revenue": 19.999}
    assert (await call(client, "POST", "/conversions", 201, json=order))["attributed"] is True
    await call(client, "POST", "/conversions", 201, json={**order, "revenue": 5})  # the first amount stays
    unshown = await call(client, "GET", "/recommendations?customer_id=P1&k=3", 200)
    other = unshown["items"][0]["product_id"]
    body = {"customer_id": "P1", "product_id": other, "type": "purchase", "revenue": 50}
    assert (await call(client, "POST", "/interactions", 201, json=body))["attributed_variant"] is None
    await call(client, "POST", "/interactions", 422, json={**body, "revenue": -1})
    service = app[SERVICE]
    async with service.sessions() as session:
        rows = (await session.execute(select(Conversion.list_id, Conversion.kind, Conversion.revenue))).all()
        lists = {row.id: row.personalised for row in (await session.execute(select(RecList))).scalars()}
    assert sorted((kind, revenue) for _, kind, revenue in rows) == [("click", None), ("purchase", Decimal("20.00"))]
    assert {list_id for list_id, _, _ in rows} == {shown["list_id"]}
    assert lists[shown["list_id"]] is True and lists[unshown["list_id"]] is False
    counts = await service.variant_counts()
    assert counts[shown["variant"]][1] == 1  # clicks are not purchases in the A/B report


async def test_an_older_database_gets_the_new_columns(tmp_path: Path) -> None:
    """A database created before consent and revenue: starting the service adds the columns, and the
    rows already there read as not personalised purchases without revenue."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE rec_lists (id INTEGER PRIMARY KEY, customer_id VARCHAR(64), conversation_id VARCHAR(64), "
            "experiment VARCHAR(64) NOT NULL, variant VARCHAR(64) NOT NULL, shown_at DATETIME NOT NULL)"
        )
        await connection.exec_driver_sql(
            "CREATE TABLE rec_conversions (id INTEGER PRIMARY KEY, customer_id VARCHAR(64) NOT NULL, "
            "product_id VARCHAR(128) NOT NULL, list_id INTEGER NOT NULL REFERENCES rec_lists (id), "
            "experiment VARCHAR(64) NOT NULL, variant VARCHAR(64) NOT NULL, order_id VARCHAR(64), "
            "converted_at DATETIME NOT NULL)"
        )
        await connection.exec_driver_sql("INSERT INTO rec_lists VALUES (1, 'C1', NULL, 'e', 'a', '2026-03-04')")
        await connection.exec_driver_sql(
            "INSERT INTO rec_conversions VALUES (1, 'C1', 'x', 1, 'e', 'a', NULL, '2026-03-05')"
        )
    await create_tables(engine)
    await create_tables(engine)  # a second start adds nothing
    async with make_sessions(engine)() as session:
        listed = (await session.execute(select(RecList))).scalar_one()
        converted = (await session.execute(select(Conversion))).scalar_one()
    await engine.dispose()
    assert listed.personalised is False
    assert (converted.kind, converted.revenue) == ("purchase", None)
