"""Property-based API tests of the knowledge-graph service: schemathesis generates requests for every
operation in its /openapi.json and checks that the live service (embedded store, packaged MiniLM,
faiss, a small shop) never fails with a 5xx and answers with the statuses, content types and bodies
the spec declares; derandomized, so every run sends the same requests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.specs.openapi.checks import positive_data_acceptance

from knowledge_graph.embedded_store import EmbeddedGraphStore
from knowledge_graph.openapi import build_spec
from knowledge_graph.product_encoder import get_encoder
from knowledge_graph.product_graph import ProductGraph
from knowledge_graph.semantic_search import SemanticIndex
from knowledge_graph.service import MAX_IDS, MAX_LIMIT, MAX_PAGE, MAX_TEXT, PAGE_LIMIT, create_app
from tests.backends.live_app import serving
from tests.knowledge_graph.sample_shop import shop

TOKEN = "graph-schemathesis-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SPEC = build_spec(MAX_TEXT, MAX_LIMIT, MAX_IDS, PAGE_LIMIT, MAX_PAGE)
schema = schemathesis.openapi.from_dict(SPEC)
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "hypothesis-graph-tests"))


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = Path(tmp_path_factory.mktemp("graph"))

    async def open_graph() -> ProductGraph:
        store = EmbeddedGraphStore(folder / "graph.lbdb")
        graph = await ProductGraph.open(store, SemanticIndex(get_encoder()), folder / "index")
        await graph.import_catalogue(shop())
        return graph

    with serving(create_app(open_graph, TOKEN), "knowledge-graph", start_timeout_s=120) as url:
        yield url


@schema.parametrize()
@hypothesis.settings(
    max_examples=20, deadline=None, database=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_api_conforms_to_its_openapi(case: schemathesis.Case, live_url: str) -> None:
    # Any bytes fit an upload's schema, but only a catalogue file imports: a 422 for a PNG sent as CSV
    # is right, so "schema-valid data is accepted" is not checked there (every other check is).
    excluded = [positive_data_acceptance] if case.path == "/imports" else []
    case.call_and_validate(base_url=live_url, headers=AUTH, excluded_checks=excluded)


def test_spec_is_served_without_the_token(live_url: str) -> None:
    reply = requests.get(f"{live_url}/openapi.json", timeout=10)
    assert reply.status_code == 200 and reply.json() == SPEC


def test_a_real_search_reply_matches_its_schema(live_url: str) -> None:
    """The generated schemas describe what to_json really writes (not just what schemathesis happened to hit)."""
    reply = requests.get(f"{live_url}/search", params={"text": "blue shirt"}, headers=AUTH, timeout=30)
    assert reply.status_code == 200
    hits = reply.json()["hits"]
    assert hits, "the sample shop has blue shirts"
    operation = schema["/search"]["GET"]
    operation.validate_response(reply)


# Regression tests for what schemathesis turned up, one each: input the service used to take silently.


@pytest.mark.parametrize(
    "query",
    [
        "/products?min_price=-1",  # a negative price
        "/products?max_price=nan",  # a price that matches nothing
        "/products?in_stock_only=null",  # read as "no" before
        "/products?brand=" + "x" * 201,  # longer than a brand name may be
        "/products/ocean-blue-shirt/related/SIMILAR_TO?incoming=maybe",
    ],
)
def test_bad_parameters_are_refused_not_guessed(live_url: str, query: str) -> None:
    reply = requests.get(live_url + query, headers=AUTH, timeout=30)
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["message"]


def test_lookup_takes_only_ids_and_an_import_needs_a_file(live_url: str) -> None:
    extra = requests.post(f"{live_url}/products/lookup", json={"ids": [], "limit": 3}, headers=AUTH, timeout=30)
    assert extra.status_code == 422
    empty = requests.post(f"{live_url}/imports?format=csv", data=b"", headers=AUTH, timeout=30)
    assert empty.status_code == 422 and "empty" in empty.json()["error"]["message"]
