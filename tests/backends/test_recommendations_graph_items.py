"""The recommender's items come from a real knowledge-graph service: the service's aiohttp app on a
real port over the embedded store (with the packaged MiniLM encoder), catalogues imported through
its real POST /imports. Then the graph goes down: snapshot, background retries, never a crash."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from backends.recommendations.app import create_app
from backends.recommendations.items import from_catalogue
from backends.recommendations.settings import Settings
from backends.recommendations.sources import GraphSource, ItemsUnavailable, source_from_env
from knowledge_graph.embedded_store import EmbeddedGraphStore
from knowledge_graph.product_encoder import get_encoder
from knowledge_graph.product_graph import ProductGraph
from knowledge_graph.semantic_search import SemanticIndex
from knowledge_graph.service import GRAPH
from knowledge_graph.service import create_app as create_graph_app
from tests.knowledge_graph.sample_shop import shop
from tests.support.servers import free_port

KG_TOKEN = "kg-test-token"
TOKEN = "recs-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def feed(*records: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


def product(pid: str, title: str, category: str, price: float, brand: str = "Trailhead") -> dict[str, Any]:
    return {
        "id": pid,
        "title": title,
        "product_type": category.split(" > ")[-1],
        "brand": brand,
        "category_path": category,
        "tags": ["outdoor"],
        "attributes": {"material": "recycled"},
        "variants": [{"sku": f"{pid}-1", "price": price, "stock": 5}],
    }


FIRST_IMPORT = feed(
    product("trail-phone", "Trail Phone", "Electronics > Phones", 499.0),
    product("trail-phone-case", "Trail Phone Rugged Case", "Electronics > Cases", 25.0),
    product("summit-jacket", "Summit Down Jacket", "Outdoor > Jackets", 189.0),
    product("ridge-jacket", "Ridge Fleece Jacket", "Outdoor > Jackets", 89.0),
    product("wool-beanie", "Merino Wool Beanie", "Outdoor > Hats", 29.0),
    {"link": "ACCESSORY_OF", "source": "trail-phone-case", "target": "trail-phone"},
    {"link": "SIMILAR_TO", "source": "summit-jacket", "target": "ridge-jacket", "score": 0.8},
)
SECOND_IMPORT = feed(  # links join products of the same file, so the phone comes again (updated in place)
    product("trail-phone", "Trail Phone", "Electronics > Phones", 499.0),
    product("trail-phone-charger", "Trail Phone 30W Charger", "Electronics > Chargers", 35.0),
    {"link": "ACCESSORY_OF", "source": "trail-phone-charger", "target": "trail-phone"},
)

GraphStarter = Callable[..., Awaitable[TestServer]]


@pytest.fixture
async def start_graph(tmp_path: Path) -> AsyncIterator[GraphStarter]:
    """Starts the knowledge-graph service (empty graph, no demo) on a given or free port; the same
    database file each time, so a restarted service still has what was imported."""
    servers: list[TestServer] = []

    async def start(port: int | None = None) -> TestServer:
        async def open_graph() -> ProductGraph:
            store = EmbeddedGraphStore(tmp_path / "graph.lbdb")
            return await ProductGraph.open(store, SemanticIndex(get_encoder()), tmp_path / "index")

        server = TestServer(create_graph_app(open_graph, KG_TOKEN), port=port or free_port())
        await server.start_server()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


async def import_feed(graph: TestServer, body: bytes) -> dict[str, Any]:
    """What `python -m knowledge_graph.importers FILE` does while the assistant runs: upload the file."""
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {KG_TOKEN}"}) as http,
        http.post(graph.make_url("/imports"), params={"format": "jsonl"}, data=body) as response,
    ):
        result = await response.json()
        assert response.status == 200 and not result["issues"], result
        return result


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    defaults: dict[str, Any] = {
        "items_snapshot": tmp_path / "recs" / "items.json",
        "model_path": tmp_path / "recs" / "model.pkl",
        "items_refresh_s": 0,  # only POST /items/refresh, unless a test asks for the timer
        "items_retry_s": 0.2,
        "model_poll_s": 0,
        "graph_timeout_s": 10,
        "graph_startup_wait_s": 1.5,
    }
    return Settings(**{**defaults, **overrides})


async def recs_client(aiohttp_client: Any, tmp_path: Path, url: str, **overrides: Any) -> TestClient:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'recs.sqlite'}"
    source = GraphSource(url, KG_TOKEN, timeout_s=5, page_size=overrides.pop("page_size", 500))
    return await aiohttp_client(create_app(db_url, TOKEN, settings=settings_for(tmp_path, **overrides), source=source))


async def get(client: TestClient, path: str, status: int = 200, method: str = "GET") -> dict[str, Any]:
    response = await client.request(method, path, headers=AUTH)
    body = await response.json()
    assert response.status == status, body
    return body


async def picks(client: TestClient, product_id: str) -> dict[str, tuple[str, str]]:
    body = await get(client, f"/recommendations?product_id={product_id}&k=10")
    return {item["product_id"]: (item["source"], item["reason"]) for item in body["items"]}


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_items_come_from_the_graph_and_an_import_reaches_them_without_restart(
    start_graph: GraphStarter, aiohttp_client: Any, tmp_path: Path
) -> None:
    graph = await start_graph()
    await import_feed(graph, FIRST_IMPORT)
    client = await recs_client(aiohttp_client, tmp_path, str(graph.make_url("")))

    health = await get(client, "/health")
    assert health["catalogue"]["source"] == "graph" and health["catalogue"]["items"] == 5
    assert health["model"]["items"] == 5
    assert health["model"]["catalogue_fingerprint"] == health["catalogue"]["fingerprint"]
    # The graph's ACCESSORY_OF link, not anything in the demo catalogue, drives the cart context.
    assert (await picks(client, "trail-phone"))["trail-phone-case"] == ("accessory", "goes with Trail Phone")
    snapshot = json.loads((tmp_path / "recs" / "items.json").read_text())
    assert {item["id"] for item in snapshot["items"]} == {
        "trail-phone",
        "trail-phone-case",
        "summit-jacket",
        "ridge-jacket",
        "wool-beanie",
    }
    case = next(item for item in snapshot["items"] if item["id"] == "trail-phone-case")
    assert case["price"] == 25.0 and case["category_name"] == "Cases" and "Trailhead" in case["text"]

    unchanged = await get(client, "/items/refresh", method="POST")
    assert (unchanged["changed"], unchanged["retrained"], unchanged["items"]) == (False, False, 5)

    await import_feed(graph, SECOND_IMPORT)
    refreshed = await get(client, "/items/refresh", method="POST")
    assert (refreshed["source"], refreshed["items"], refreshed["changed"], refreshed["retrained"]) == (
        "graph",
        6,
        True,
        True,
    )
    assert (await picks(client, "trail-phone"))["trail-phone-charger"] == ("accessory", "goes with Trail Phone")
    health = await get(client, "/health")
    assert health["model"]["items"] == 6 and health["catalogue"]["fingerprint"] == refreshed["fingerprint"]
    # The retrained model was saved for the next start, with the catalogue it belongs to.
    assert (tmp_path / "recs" / "model.pkl").exists()


async def test_the_timer_picks_up_an_import(start_graph: GraphStarter, aiohttp_client: Any, tmp_path: Path) -> None:
    graph = await start_graph()
    await import_feed(graph, FIRST_IMPORT)
    client = await recs_client(aiohttp_client, tmp_path, str(graph.make_url("")), items_refresh_s=0.2)
    await import_feed(graph, SECOND_IMPORT)

    async def six_items() -> bool:
        return (await get(client, "/health"))["model"]["items"] == 6

    await eventually(six_items)
    assert "trail-phone-charger" in await picks(client, "trail-phone")


async def test_graph_down_at_startup_starts_from_the_snapshot_and_recovers(
    start_graph: GraphStarter, aiohttp_client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    graph = await start_graph(port)
    await import_feed(graph, FIRST_IMPORT)
    first = await recs_client(aiohttp_client, tmp_path, str(graph.make_url("")))
    assert (await get(first, "/health"))["catalogue"]["source"] == "graph"
    await first.close()
    await graph.close()

    caplog.set_level(logging.WARNING, logger="backends.recommendations")
    client = await recs_client(aiohttp_client, tmp_path, f"http://127.0.0.1:{port}")
    health = await get(client, "/health")
    assert health["catalogue"]["source"] == "snapshot" and health["catalogue"]["items"] == 5
    assert "starting from the snapshot" in caplog.text
    assert (await picks(client, "trail-phone"))["trail-phone-case"][0] == "accessory"
    failed = await client.post("/items/refresh", headers=AUTH)
    assert failed.status == 503
    assert (await failed.json())["error"]["code"] == "catalogue_unavailable"

    graph = await start_graph(port)  # the graph comes back, with a new import meanwhile
    await import_feed(graph, SECOND_IMPORT)

    async def back_on_the_graph() -> bool:
        return (await get(client, "/health"))["catalogue"]["source"] == "graph"

    await eventually(back_on_the_graph)
    # The background retry may have read the graph before the second import finished; with the
    # timer off (items_refresh_s 0) only a refresh brings that import in.
    if (await get(client, "/health"))["catalogue"]["items"] != 6:
        await get(client, "/items/refresh", method="POST")
    assert (await get(client, "/health"))["catalogue"]["items"] == 6
    assert "trail-phone-charger" in await picks(client, "trail-phone")


async def test_first_start_waits_for_a_graph_that_comes_up_later(
    start_graph: GraphStarter, aiohttp_client: Any, tmp_path: Path
) -> None:
    """The launcher starts every service at once; without a snapshot the recommender waits for the graph."""
    port = free_port()
    graph = await start_graph(port)
    await import_feed(graph, FIRST_IMPORT)
    await graph.close()
    starting = asyncio.create_task(
        recs_client(aiohttp_client, tmp_path, f"http://127.0.0.1:{port}", graph_startup_wait_s=60)
    )
    await asyncio.sleep(1.5)
    assert not starting.done()  # still waiting: /health would not answer yet either
    await start_graph(port)
    client = await asyncio.wait_for(starting, 60)
    catalogue = (await get(client, "/health"))["catalogue"]
    assert (catalogue["source"], catalogue["items"]) == ("graph", 5)


async def test_graph_down_and_no_snapshot_still_serves(aiohttp_client: Any, tmp_path: Path) -> None:
    client = await recs_client(aiohttp_client, tmp_path, f"http://127.0.0.1:{free_port()}")
    health = await get(client, "/health")
    assert health["catalogue"]["source"] == "none" and health["catalogue"]["items"] == 0
    await client.post(
        "/interactions", json={"customer_id": "C1", "product_id": "p-1", "type": "purchase"}, headers=AUTH
    )
    assert (await get(client, "/recommendations?customer_id=C2"))["capped"] is False
    # An item-less model is never written over a model file that a good catalogue produced.
    assert not (tmp_path / "recs" / "model.pkl").exists()


async def test_paged_reads_give_the_same_items_as_the_catalogue(start_graph: GraphStarter) -> None:
    graph = await start_graph()
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KG_TOKEN}"}) as http:
        await graph.app[GRAPH].import_catalogue(shop())  # the sample shop, straight into the service's graph
        pages = await (await http.get(graph.make_url("/catalogue"), params={"limit": "3"})).json()
        assert [p["summary"]["id"] for p in pages["products"]] == ["linen-shirt", "ocean-blue-shirt", "orbit-x"]
        assert pages["next"] == "orbit-x"
        last = await (await http.get(graph.make_url("/catalogue"), params={"after": "x-case", "limit": "3"})).json()
        assert [p["summary"]["id"] for p in last["products"]] == ["x-case-pro"] and last["next"] is None
        for bad in ("0", "1001", "lots"):
            refused = await http.get(graph.make_url("/catalogue"), params={"limit": bad})
            assert refused.status == 422, bad
    paged = await GraphSource(str(graph.make_url("")), KG_TOKEN, page_size=2).fetch()
    whole = await GraphSource(str(graph.make_url("")), KG_TOKEN, page_size=500).fetch()
    expected = from_catalogue(shop())
    by_id = sorted(expected.items, key=lambda item: item.id)
    assert sorted(paged.items, key=lambda item: item.id) == by_id == sorted(whole.items, key=lambda item: item.id)

    def links(mapping: dict[str, list[str]]) -> dict[str, set[str]]:
        return {key: set(values) for key, values in mapping.items()}

    assert links(paged.accessories) == links(expected.accessories) == {"orbit-x": {"x-case", "x-case-pro"}}
    assert links(paged.alternatives) == links(expected.alternatives)


async def test_wrong_token_is_unavailable_not_a_crash(start_graph: GraphStarter) -> None:
    graph = await start_graph()
    with pytest.raises(ItemsUnavailable):
        await GraphSource(str(graph.make_url("")), "wrong-token").fetch()


def test_without_a_graph_service_the_demo_catalogue_is_the_fallback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    source = source_from_env({}, 5, 100)
    assert source.name == "demo" and not source.refreshable
    assert "KG_URL is not set" in caplog.text
    graph = source_from_env({"KG_URL": "http://127.0.0.1:8102", "KG_API_TOKEN": "t"}, 5, 100)
    assert isinstance(graph, GraphSource) and graph.refreshable
