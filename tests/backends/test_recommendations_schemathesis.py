"""Property-based API tests for the recommendations backend: schemathesis generates requests from
its /openapi.json (every operation) and checks that the live service never fails with a 5xx and
answers with the statuses, content types and bodies the spec declares. Runs on SQLite and on
PostgreSQL, derandomized so every run sends the same requests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from aiohttp.test_utils import TestClient
from hypothesis.configuration import set_hypothesis_home_dir

from backends.recommendations.app import create_app
from backends.recommendations.demo import demo_items
from backends.recommendations.openapi import build_spec
from backends.recommendations.settings import Settings
from backends.recommendations.sources import StaticSource
from tests.backends.live_app import serving
from tests.support.postgres import postgres_server  # noqa: F401 - session fixture

TOKEN = "recs-schemathesis-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
schema = schemathesis.openapi.from_dict(build_spec())
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "hypothesis-recommendations-tests"))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = Path(tmp_path_factory.mktemp("recs"))
    if request.param == "sqlite":
        db_url = f"sqlite+aiosqlite:///{folder / 'recs.sqlite'}"
    else:
        db_url = request.getfixturevalue("postgres_server").create_database()
    settings = Settings(model_path=folder / "model.pkl", items_snapshot=folder / "items.json", model_poll_s=0)
    app = create_app(db_url, TOKEN, settings=settings, source=StaticSource("demo", demo_items))
    with serving(app, "recommendations") as url:
        yield url


@schema.parametrize()
@hypothesis.settings(
    max_examples=25, deadline=None, database=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_api_conforms_to_its_openapi(case: schemathesis.Case, live_url: str) -> None:
    case.call_and_validate(base_url=live_url, headers=AUTH)


# Regression tests for what schemathesis (and a review of its findings) turned up, one each.


@pytest.fixture
async def client(aiohttp_client: Any, tmp_path: Path) -> TestClient:
    app = create_app(f"sqlite+aiosqlite:///{tmp_path / 'recs.sqlite'}", TOKEN, items=demo_items())
    return await aiohttp_client(app)


async def status_of(client: TestClient, path: str, method: str = "GET") -> tuple[int, dict[str, Any]]:
    response = await client.request(method, path, headers=AUTH)
    return response.status, await response.json()


async def test_undeclared_method_gets_405_with_allow(client: TestClient) -> None:
    response = await client.request("TRACE", "/health", headers=AUTH)
    assert response.status == 405 and "GET" in response.headers["Allow"].split(",")
    assert (await response.json())["error"]["code"] == "method_not_allowed"


async def test_empty_ids_are_rejected_not_read_as_absent(client: TestClient) -> None:
    for name in ("product_id", "customer_id", "conversation_id"):
        status, body = await status_of(client, f"/recommendations?{name}=")
        assert status == 422 and name in body["error"]["fields"], body


async def test_cart_must_match_its_pattern(client: TestClient) -> None:
    for cart in ("aero-12,%20voltpath", "aero-12,,voltpath", "", ",".join(f"p{n}" for n in range(51))):
        status, body = await status_of(client, f"/recommendations?cart={cart}")
        assert status == 422 and "cart" in body["error"]["fields"], cart
    status, _ = await status_of(client, "/recommendations?cart=" + ",".join(f"p{n}" for n in range(50)))
    assert status == 200


async def test_unknown_query_parameter_is_named(client: TestClient) -> None:
    status, body = await status_of(client, "/recommendations?product=aero-12")
    assert status == 422 and body["error"]["fields"] == {"product": body["error"]["fields"]["product"]}
    assert "customer_id" in body["error"]["message"]


async def test_unicode_digits_in_k_are_invalid_not_a_crash(client: TestClient) -> None:
    for k in ("²", "٣", "1e1", "051"):
        status, body = await status_of(client, f"/recommendations?k={k}")
        assert status == 422 and "k" in body["error"]["fields"], (k, body)
