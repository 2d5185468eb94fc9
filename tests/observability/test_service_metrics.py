"""The kit's instrumentation on a real aiohttp app: request metrics by route template, /metrics
behind the scraper's token, and the request id taken from the caller and kept for the log lines."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import REGISTRY

from contracts.request_ids import current_request_id
from service_kit.errors import DomainError, NotFound
from service_kit.http import TOKEN, auth_middleware, make_error_middleware
from service_kit.observability import MetricsSettings, instrument, on_scrape

SCRAPER = "scraper-token-" + "s" * 20
API = "api-token-" + "a" * 20
seen_ids: list[str] = []


async def order(request: web.Request) -> web.Response:
    seen_ids.append(current_request_id())
    logging.getLogger("test.order").info("looking up %s", request.match_info["number"])
    if request.match_info["number"] == "999999":
        raise NotFound("no such order")
    return web.json_response({"number": request.match_info["number"]})


def build(token: str) -> web.Application:
    app = web.Application(middlewares=[make_error_middleware(DomainError, DomainError("down")), auth_middleware])
    app[TOKEN] = API
    app.router.add_get("/orders/{number}", order)
    return instrument(app, MetricsSettings(token=token))


def sample(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value("shop_http_requests_total", {"method": "GET", "route": route, "status": status})
    return value or 0.0


@pytest.fixture
async def client(aiohttp_client: Any) -> TestClient:
    return await aiohttp_client(build(SCRAPER))


async def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    ok, missing = sample("/orders/{number}", "200"), sample("/orders/{number}", "404")
    auth = {"Authorization": f"Bearer {API}"}
    assert (await client.get("/orders/104233", headers=auth)).status == 200
    assert (await client.get("/orders/999999", headers=auth)).status == 404
    assert (await client.get("/orders/104234")).status == 401
    assert sample("/orders/{number}", "200") == ok + 1
    assert sample("/orders/{number}", "404") == missing + 1
    scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER}"})
    assert scraped.status == 200
    body = await scraped.text()
    assert 'shop_http_requests_total{method="GET",route="/orders/{number}",status="401"}' in body
    assert "shop_http_request_duration_seconds_bucket" in body
    assert "104233" not in body  # paths with a shopper's order number never become labels


async def test_unknown_paths_share_one_series(client: TestClient) -> None:
    before = sample("(unmatched)", "404")
    for path in ("/wp-admin", "/.env", "/a/b/c"):
        assert (await client.get(path, headers={"Authorization": f"Bearer {API}"})).status == 404
    assert sample("(unmatched)", "404") == before + 3


async def test_metrics_need_the_scrapers_token_not_the_api_token(client: TestClient) -> None:
    for headers in ({}, {"Authorization": f"Bearer {API}"}, {"Authorization": "Bearer wrong"}):
        assert (await client.get("/metrics", headers=headers)).status == 401


async def test_metrics_are_off_without_a_token(aiohttp_client: Any) -> None:
    client = await aiohttp_client(build(""))
    assert (await client.get("/metrics", headers={"Authorization": "Bearer "})).status == 404


async def test_scrape_hooks_run_before_each_scrape(aiohttp_client: Any) -> None:
    app = build(SCRAPER)
    scrapes: list[int] = []

    async def hook(_app: web.Application) -> None:
        scrapes.append(1)

    on_scrape(app, hook)
    client = await aiohttp_client(app)
    for _ in range(2):
        assert (await client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER}"})).status == 200
    assert len(scrapes) == 2


async def test_the_callers_request_id_is_current_and_returned(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {API}"}
    answer = await client.get("/orders/104233", headers={**auth, "X-Request-ID": "chan-42"})
    assert answer.headers["X-Request-ID"] == "chan-42"
    assert seen_ids[-1] == "chan-42"
    refused = await client.get("/orders/999999", headers={**auth, "X-Request-ID": "a {spoofed} id with spaces"})
    assert refused.status == 404
    made = refused.headers["X-Request-ID"]
    assert made == seen_ids[-1] and len(made) == 32
    assert current_request_id() == ""  # not left behind after the request
