"""The graph service's /search ranks by words and meaning together (real store, encoder and index).

Model numbers are where meaning alone fails: to the encoder "GSR18V-400" and "GSR12V-300" are
near neighbours, to a shopper who typed one of them the other is the wrong drill.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from contracts.catalogue import Brand, Catalogue, Category, Product, Variant
from knowledge_graph.embedded_store import EmbeddedGraphStore
from knowledge_graph.product_encoder import get_encoder
from knowledge_graph.product_graph import ProductGraph
from knowledge_graph.semantic_search import SemanticIndex
from knowledge_graph.service import create_app

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def tool(pid: str, title: str, description: str, sku: str, price: float) -> Product:
    return Product(
        pid,
        title,
        description,
        "Drills",
        "bosch",
        "tools/drills",
        variants=(Variant(sku, pid, "Default", price, 5),),
    )


def workshop() -> Catalogue:
    products = [
        tool("gsr12", "Bosch GSR12V-300 Drill Driver", "Compact 12V cordless drill driver.", "B-1200", 99.0),
        tool("gsr18", "Bosch GSR18V-400 Drill Driver", "18V cordless drill driver, brushless.", "B-1800", 149.0),
        tool("gsb18", "Bosch GSB18V-490 Hammer Drill", "18V cordless hammer drill.", "B-1849", 169.0),
        tool("psr", "Bosch PSR 1200 Drill", "Cordless drill for the home.", "B-0120", 79.0),
    ]
    categories = [Category("tools", "Tools"), Category("tools/drills", "Drills", "tools")]
    return Catalogue(products, categories, [Brand("bosch", "Bosch")])


@pytest.fixture
async def http(tmp_path: Path, aiohttp_client) -> TestClient:
    async def open_graph() -> ProductGraph:
        graph = await ProductGraph.open(
            EmbeddedGraphStore(tmp_path / "graph.lbdb"), SemanticIndex(get_encoder()), tmp_path / "index"
        )
        await graph.import_catalogue(workshop())
        return graph

    app: web.Application = create_app(open_graph, TOKEN)
    return await aiohttp_client(app)


async def first_hit(http: TestClient, text: str) -> str:
    response = await http.get("/search", params={"text": text, "k": "4"}, headers=AUTH)
    assert response.status == 200
    return (await response.json())["hits"][0]["product"]["id"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GSR18V-400", "gsr18"),
        ("do you have the gsr18v400", "gsr18"),
        ("bosch GSB18V-490", "gsb18"),
        ("GSR12V-300 drill", "gsr12"),
        ("B-1849", "gsb18"),  # a SKU is a model number too
    ],
)
async def test_the_product_with_the_exact_model_number_comes_first(http: TestClient, text: str, expected: str) -> None:
    assert await first_hit(http, text) == expected
