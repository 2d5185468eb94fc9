"""The graph read the recommender mirrors the catalogue with (GraphStore.product_page, served as GET
/catalogue): the same pages and links on the embedded store and on a real Neo4j."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from knowledge_graph.embedded_store import EmbeddedGraphStore
from knowledge_graph.neo4j_store import Neo4jGraphStore, Neo4jSettings
from knowledge_graph.store import GraphStore
from tests.knowledge_graph.sample_shop import shop
from tests.support.neo4j import Neo4jServer, running_neo4j


@pytest.fixture(scope="module")
def neo4j() -> Iterator[Neo4jServer]:
    with running_neo4j() as server:
        yield server


@pytest.fixture(params=["embedded", "neo4j"])
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
