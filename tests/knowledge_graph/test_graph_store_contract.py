"""The store contract: every query gives the same, expected answer on the embedded store and on a real Neo4j.

Each test runs once per backend against the same small shop (sample_shop.py) and asserts concrete
values, so a backend that drifts fails here rather than in a conversation.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from contracts.catalogue import Attribute, Catalogue, ProductFilter, ProductLink
from knowledge_graph.embedded_store import EmbeddedGraphStore
from knowledge_graph.neo4j_store import UNREACHABLE, Neo4jGraphStore, Neo4jSettings
from knowledge_graph.store import GraphStore
from tests.knowledge_graph.sample_shop import case, shop
from tests.support.neo4j import Neo4jServer, running_neo4j

BACKENDS = ["embedded", "neo4j"]
SHOP_COUNTS = {"Product": 7, "Variant": 10, "Category": 5, "Brand": 2, "Attribute": 2, "Policy": 1}


@pytest.fixture(scope="module")
def neo4j() -> Iterator[Neo4jServer]:
    with running_neo4j() as server:
        yield server


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GraphStore]:
    if request.param == "embedded":
        graph: GraphStore = EmbeddedGraphStore(tmp_path / f"graph-{uuid.uuid4().hex[:8]}.lbdb")
    else:
        graph = Neo4jGraphStore(Neo4jSettings(uri=request.getfixturevalue("neo4j").uri))
        await graph.clear()
    await graph.ensure_schema()
    await graph.write_catalogue(shop())
    try:
        yield graph
    finally:
        await graph.close()


async def test_counts(store: GraphStore) -> None:
    assert await store.counts() == SHOP_COUNTS


async def test_product_details_round_trip(store: GraphStore) -> None:
    details = await store.product("ocean-blue-shirt")
    assert details is not None
    assert details.title == "Ocean Blue Shirt"
    assert details.description == 'Ocean Blue Shirt, cotton, "classic" cut.\nMachine washable.'
    assert details.summary.brand == "Northwind"
    assert (details.summary.min_price, details.summary.max_price, details.summary.total_stock) == (25.0, 25.0, 7)
    assert details.summary.category_path == ("apparel", "apparel/shirts")
    assert [c.name for c in details.categories] == ["Apparel", "Shirts"]
    assert details.tags == ("summer", "cotton")
    assert details.attributes == (Attribute("material", "cotton"),)
    # The shop's variant order (S, M, L, XL), not alphabetical; the sold-out large is there with 0.
    assert [(v.size, v.stock) for v in details.variants] == [("S", 4), ("M", 2), ("L", 0), ("XL", 1)]
    assert details.variants[0].option("size") == "S"
    assert await store.product("no-such-product") is None


async def test_products_keep_the_order_asked_for_and_skip_unknown(store: GraphStore) -> None:
    found = await store.products(["x-case", "nope", "orbit-x"])
    assert [p.id for p in found] == ["x-case", "orbit-x"]
    assert found[1].variants[0].compare_at_price == 799.0
    assert found[0].variants[0].compare_at_price is None


async def test_list_products_with_filters(store: GraphStore) -> None:
    def ids(found: list) -> list[str]:
        return [p.id for p in found]

    assert ids(await store.list_products(ProductFilter(category="apparel"))) == [
        "linen-shirt",
        "ocean-blue-shirt",
        "silk-shirt",
    ]
    assert ids(await store.list_products(ProductFilter(category="electronics", max_price=30))) == [
        "x-case-pro",
        "x-case",
    ]
    assert ids(await store.list_products(ProductFilter(category="electronics/cases", in_stock_only=True))) == ["x-case"]
    assert ids(await store.list_products(ProductFilter(brand="Orbit", min_price=700))) == ["orbit-x2"]
    assert len(await store.list_products(limit=2)) == 2


async def test_compatible_accessories_similar_and_replacement(store: GraphStore) -> None:
    fits_phone = await store.related("orbit-x", "COMPATIBLE_WITH", incoming=True)
    assert [(r.product.id, r.score) for r in fits_phone] == [("x-case", 1.0), ("x-case-pro", 1.0)]
    phones_for_case = await store.related("x-case", "COMPATIBLE_WITH")
    assert [r.product.id for r in phones_for_case] == ["orbit-x"]
    assert [r.product.id for r in await store.related("orbit-x", "ACCESSORY_OF", incoming=True)] == ["x-case"]
    similar = await store.related("ocean-blue-shirt", "SIMILAR_TO")
    assert [(r.product.id, r.score) for r in similar] == [("linen-shirt", 0.9), ("silk-shirt", 0.7)]
    cheaper = await store.related("ocean-blue-shirt", "SIMILAR_TO", filters=ProductFilter(max_price=24.99))
    assert [r.product.id for r in cheaper] == ["linen-shirt"]
    in_stock = await store.related(
        "orbit-x", "COMPATIBLE_WITH", incoming=True, filters=ProductFilter(in_stock_only=True)
    )
    assert [r.product.id for r in in_stock] == ["x-case"]
    assert [r.product.id for r in await store.related("orbit-x", "REPLACED_BY")] == ["orbit-x2"]


async def test_names_categories_brands_policies(store: GraphStore) -> None:
    names = await store.product_names()
    assert ("ocean-blue-shirt", "Ocean Blue Shirt", "Northwind") in names
    assert [n[0] for n in names] == sorted(n[0] for n in names)
    categories = {c.id: c.parent_id for c in await store.categories()}
    assert categories == {
        "apparel": None,
        "apparel/shirts": "apparel",
        "electronics": None,
        "electronics/cases": "electronics",
        "electronics/phones": "electronics",
    }
    assert await store.brands() == [("northwind", "Northwind"), ("orbit", "Orbit")]
    assert [p.topics for p in await store.policies()] == [("warranty", "guarantee", "broken")]


async def test_reimport_updates_stock_and_prices_without_duplicates(store: GraphStore) -> None:
    report = await store.write_catalogue(shop(shirt_price=21.0, large_stock=6))
    assert report.created["Product"] == 0 and report.updated["Product"] == 7
    assert await store.counts() == SHOP_COUNTS
    details = await store.product("ocean-blue-shirt")
    assert details is not None
    assert [(v.size, v.stock, v.price) for v in details.variants][2] == ("L", 6, 21.0)
    assert details.summary.total_stock == 13 and details.summary.min_price == 21.0
    # Edges are replaced, not added again.
    assert len(await store.related("orbit-x", "COMPATIBLE_WITH", incoming=True)) == 2
    assert len(details.attributes) == 1


async def test_partial_import_adds_products_and_keeps_the_rest(store: GraphStore) -> None:
    newcomer = replace(case("x2-case", "Clear Case for Orbit X2", 12.0), category_id="electronics/cases")
    partial = Catalogue([newcomer], links=[ProductLink("COMPATIBLE_WITH", "x2-case", "orbit-x2")])
    report = await store.write_catalogue(partial)
    assert report.created["Product"] == 1
    assert (await store.counts())["Product"] == 8
    fits = await store.related("orbit-x2", "COMPATIBLE_WITH", incoming=True)
    assert [r.product.id for r in fits] == ["x2-case"]
    # Its category came from an earlier import: the ancestry is still complete.
    added = await store.product("x2-case")
    assert added is not None and added.summary.category_path == ("electronics", "electronics/cases")
    assert len(await store.related("orbit-x", "COMPATIBLE_WITH", incoming=True)) == 2


async def test_links_to_unknown_products_are_skipped(store: GraphStore) -> None:
    report = await store.write_catalogue(Catalogue(links=[ProductLink("SIMILAR_TO", "linen-shirt", "ghost")]))
    assert report.edges["SIMILAR_TO"] == 0
    assert await store.related("linen-shirt", "SIMILAR_TO") == []


async def test_user_text_is_only_ever_a_parameter(store: GraphStore) -> None:
    hostile = "x'}) DETACH DELETE (n) //"
    assert await store.product(hostile) is None
    assert await store.list_products(ProductFilter(category=hostile, brand=hostile)) == []
    assert await store.related(hostile, "SIMILAR_TO") == []
    assert (await store.counts())["Product"] == 7


# The paged read the recommendations backend mirrors the catalogue with (GET /catalogue).
async def test_pages_cover_every_product_once_in_id_order(store: GraphStore) -> None:
    seen: list[str] = []
    links: list[tuple[str, str, str, float]] = []
    after = ""
    while True:
        page, page_links = await store.product_page(after, 3)
        if not page:
            break
        seen += [product.id for product in page]
        links += [(link.kind, link.source_id, link.target_id, link.score) for link in page_links]
        after = page[-1].id
    assert seen == sorted(p.id for p in shop().products)
    assert sorted(links) == sorted((link.kind, link.source_id, link.target_id, link.score) for link in shop().links)


async def test_a_page_carries_full_details(store: GraphStore) -> None:
    page, links = await store.product_page("", 2)
    assert [p.id for p in page] == ["linen-shirt", "ocean-blue-shirt"]
    shirt = page[1]
    assert shirt.summary.brand == "Northwind" and [c.name for c in shirt.categories] == ["Apparel", "Shirts"]
    assert [v.size for v in shirt.variants] == ["S", "M", "L", "XL"] and shirt.tags == ("summer", "cotton")
    assert [(a.name, a.value) for a in shirt.attributes] == [("material", "cotton")]
    assert {(link.kind, link.target_id) for link in links} == {
        ("SIMILAR_TO", "linen-shirt"),
        ("SIMILAR_TO", "silk-shirt"),
    }
    assert await store.product_page("x-case-pro", 5) == ([], [])


async def test_a_warm_up_reads_without_changing_anything(store: GraphStore) -> None:
    await store.warm_up()
    assert await store.counts() == SHOP_COUNTS


# Last in the module: it kills the module's Neo4j (and starts it again on the same data).
async def test_neo4j_is_warmed_up_as_soon_as_it_answers_after_a_crash(
    neo4j: Neo4jServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A restarted Neo4j plans every query again (over 1 s each): the store notices the failed read,
    tries until the server answers and warms it up before the next shopper asks (nothing here reads)."""
    graph = Neo4jGraphStore(Neo4jSettings(uri=neo4j.uri, reconnect_poll_s=0.2))
    await graph.clear()
    await graph.write_catalogue(shop())
    try:
        assert await graph.product("ocean-blue-shirt") is not None
        neo4j.kill()
        with pytest.raises(UNREACHABLE):
            await graph.product("ocean-blue-shirt")
        with caplog.at_level(logging.WARNING, logger="knowledge_graph.neo4j_store"):
            await asyncio.to_thread(neo4j.start)
            deadline = asyncio.get_running_loop().time() + 60
            while not any("answering again" in r.getMessage() for r in caplog.records):
                assert asyncio.get_running_loop().time() < deadline, "Neo4j was not warmed up within 60 s"
                await asyncio.sleep(0.1)
        assert "warmed up in" in caplog.records[-1].getMessage()
    finally:
        await graph.close()
