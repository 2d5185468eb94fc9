"""The knowledge-graph service over HTTP, and the action server's client reading it back.

Real parts throughout: the embedded store in a temp dir, the packaged MiniLM encoder, faiss, and
the service's aiohttp app on a real port for the client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contracts.catalogue import ProductFilter
from knowledge_graph.embedded_store import EmbeddedGraphStore
from knowledge_graph.product_encoder import get_encoder
from knowledge_graph.product_graph import ProductGraph
from knowledge_graph.semantic_search import SemanticIndex
from knowledge_graph.service import create_app
from service_clients.catalogue import CatalogueClient, CatalogueUnavailable
from tests.knowledge_graph.sample_shop import shop

TOKEN = "test-token"
SHOPIFY_SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "shopify" / "apparel.csv"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def app_for(tmp_path: Path) -> web.Application:
    async def open_graph() -> ProductGraph:
        store = EmbeddedGraphStore(tmp_path / "graph.lbdb")
        graph = await ProductGraph.open(store, SemanticIndex(get_encoder()), tmp_path / "index")
        await graph.import_catalogue(shop())
        return graph

    return create_app(open_graph, TOKEN)


@pytest.fixture
async def http(tmp_path: Path, aiohttp_client) -> TestClient:
    return await aiohttp_client(app_for(tmp_path))


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[CatalogueClient]:
    server = TestServer(app_for(tmp_path))
    await server.start_server()
    catalogue = CatalogueClient(str(server.make_url("")), TOKEN)
    try:
        yield catalogue
    finally:
        await catalogue.close()
        await server.close()


async def test_health_is_public_everything_else_needs_the_token(http: TestClient) -> None:
    assert (await http.get("/health")).status == 200
    refused = await http.get("/products/ocean-blue-shirt")
    assert refused.status == 401
    assert (await refused.json())["error"]["code"] == "unauthorized"
    wrong = await http.get("/products/ocean-blue-shirt", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401


async def test_product_and_unknown_product(http: TestClient) -> None:
    found = await (await http.get("/products/ocean-blue-shirt", headers=AUTH)).json()
    assert found["summary"]["title"] == "Ocean Blue Shirt"
    assert [v["size"] for v in found["variants"]] == ["S", "M", "L", "XL"]
    missing = await http.get("/products/nothing-here", headers=AUTH)
    assert missing.status == 404


async def test_bad_requests_get_clear_answers(http: TestClient) -> None:
    cases = [
        "/resolve",
        "/resolve?text=" + "x" * 501,
        "/products?max_price=cheap",
        "/products?limit=500",
        "/products/orbit-x/related/FRIENDS_WITH",
    ]
    for path in cases:
        response = await http.get(path, headers=AUTH)
        assert response.status == 422, path
        assert (await response.json())["error"]["code"] == "invalid_request"
    broken = await http.post("/products/lookup", data="{not json", headers=AUTH)
    assert broken.status in (400, 422)


async def test_client_reads_products_related_and_filters(client: CatalogueClient) -> None:
    details = await client.product("ocean-blue-shirt")
    assert details is not None and details.summary.total_stock == 7
    assert [v.size for v in details.variants if not v.in_stock] == ["L"]
    assert await client.product("nothing-here") is None
    assert [p.id for p in await client.products(["x-case", "orbit-x"])] == ["x-case", "orbit-x"]
    cases = await client.related("orbit-x", "COMPATIBLE_WITH", incoming=True)
    assert [r.product.id for r in cases] == ["x-case", "x-case-pro"]
    cheaper = await client.related("ocean-blue-shirt", "SIMILAR_TO", filters=ProductFilter(max_price=24.0))
    assert [r.product.id for r in cheaper] == ["linen-shirt"]
    shirts = await client.list_products(ProductFilter(category="apparel/shirts", in_stock_only=True))
    assert [p.id for p in shirts] == ["linen-shirt", "ocean-blue-shirt"]


async def test_resolve_verbatim_fuzzy_and_ambiguous(client: CatalogueClient) -> None:
    exact = await client.resolve("does the ocean blue shirt come in large?")
    assert exact.best is not None and exact.best.id == "ocean-blue-shirt" and not exact.ambiguous
    misspelt = await client.resolve("the oceen blu shirt")
    assert misspelt.best is not None and misspelt.best.id == "ocean-blue-shirt"
    vague = await client.resolve("the case for the orbit x")
    assert vague.best is None and vague.ambiguous
    assert {c.product.id for c in vague.candidates} >= {"x-case", "x-case-pro"}


async def test_semantic_search_with_a_price_in_the_words(client: CatalogueClient) -> None:
    result = await client.search("a protective cover for my phone under $20")
    assert result.filters.max_price == 20.0
    assert result.hits and result.hits[0].product.id == "x-case"
    assert all(hit.product.min_price is not None and hit.product.min_price <= 20 for hit in result.hits)


async def test_policy_lookup(client: CatalogueClient) -> None:
    found = await client.policy("what is the warranty on this phone")
    assert found is not None and found.id == "warranty"
    assert await client.policy("do you sell gift cards for birthdays") is None


async def test_client_reports_a_service_that_is_down() -> None:
    async with CatalogueClient("http://127.0.0.1:9", TOKEN, timeout_s=0.5, get_retries=1) as down:
        with pytest.raises(CatalogueUnavailable):
            await down.product("ocean-blue-shirt")


async def test_shopify_upload_imports_then_reimport_updates_in_place(http: TestClient) -> None:
    body = SHOPIFY_SAMPLE.read_bytes()
    first = await (await http.post("/imports?format=shopify", data=body, headers=AUTH)).json()
    # The sample's "ocean-blue-shirt" handle is also in the test shop: updated, not duplicated.
    assert first["products"] == 20
    assert (first["created"]["Product"], first["updated"]["Product"]) == (19, 1)
    again = await (await http.post("/imports?format=shopify", data=body, headers=AUTH)).json()
    assert "error" not in again, again
    assert again["created"]["Product"] == 0 and again["updated"]["Product"] == first["products"]
    stats = await (await http.get("/stats", headers=AUTH)).json()
    assert stats["nodes"]["Product"] == 7 + 19
    assert stats["indexed_products"] == stats["nodes"]["Product"]
    bad = await http.post("/imports?format=excel", data=b"x", headers=AUTH)
    assert bad.status == 422


class BrokenStore:
    """A store whose database has gone away: every read fails with an error the service does not expect."""

    name = "broken"

    async def counts(self) -> dict[str, int]:
        raise RuntimeError("database file vanished")

    async def close(self) -> None:
        return None


class BrokenGraph:
    store = BrokenStore()


async def test_failures_inside_the_graph_are_a_503_and_big_bodies_a_413(aiohttp_client) -> None:
    async def open_graph() -> ProductGraph:
        return BrokenGraph()  # type: ignore[return-value]

    http = await aiohttp_client(create_app(open_graph, TOKEN))
    broken = await http.get("/stats", headers=AUTH)
    assert broken.status == 503
    assert (await broken.json())["error"] == {
        "code": "unavailable",
        "message": "The product catalogue is unavailable right now.",
    }
    too_big = await http.post("/products/lookup", data=b"x" * (2 << 20), headers=AUTH)
    assert too_big.status == 413
    assert "1 MiB" in (await too_big.json())["error"]["message"]
