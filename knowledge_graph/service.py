"""The knowledge-graph service: the one process that owns the product graph and its search index.

The embedded database allows one writing process, and imports must work while the assistant
runs, so the action server and the import command both talk to this service over HTTP instead of
opening the database themselves. It listens on 127.0.0.1 and wants the bearer token
KG_API_TOKEN on every call except /health. Auth and the {"error": {...}} replies come from the
service kit like every other service's; handlers reject bad input with ValueError (a 422).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from contracts.catalogue_wire import filter_from_query, flag_from_query, to_json
from knowledge_graph import config
from knowledge_graph.importers.load import FORMATS, parse_file
from knowledge_graph.openapi import build_spec
from knowledge_graph.product_encoder import get_encoder
from knowledge_graph.product_graph import ProductGraph
from knowledge_graph.schema import PRODUCT_LINKS
from knowledge_graph.semantic_search import SemanticIndex
from service_kit.app import run_service
from service_kit.errors import DomainError, Unavailable
from service_kit.http import SPEC, TOKEN, auth_middleware, error_response, make_error_middleware, serve_spec
from service_kit.memory import release_freed_memory, release_freed_memory_in_loop
from service_kit.observability import instrument

logger = logging.getLogger(__name__)

GRAPH = web.AppKey("graph", ProductGraph)
IMPORT_LOCK = web.AppKey("import_lock", asyncio.Lock)
MAX_BODY_BYTES = 1 << 20  # a /products/lookup id list; catalogue uploads are streamed, not read whole
MAX_LIMIT = 50
MAX_TEXT = 500  # characters of shopper text accepted for resolve/search/policy
MAX_IDS = 200
PAGE_LIMIT, MAX_PAGE = 200, 1000  # products per /catalogue page: default and most
# Whatever fails inside the graph or the index, the shopper's side hears "unavailable" (a 503).
CATALOGUE_UNAVAILABLE = Unavailable("The product catalogue is unavailable right now.", code="unavailable")
routes = web.RouteTableDef()


def _text(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if not value:
        raise ValueError(f"query parameter {name!r} is required")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{name!r} is longer than {MAX_TEXT} characters")
    return value


def _limit(request: web.Request, name: str = "limit", default: int = 10, maximum: int = MAX_LIMIT) -> int:
    value = int(request.query.get(name, default))
    if not 1 <= value <= maximum:
        raise ValueError(f"{name} must be between 1 and {maximum}")
    return value


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/stats")
async def stats(request: web.Request) -> web.Response:
    graph = request.app[GRAPH]
    counts = await graph.store.counts()
    return web.json_response({"store": graph.store.name, "nodes": counts, "indexed_products": len(graph.index)})


@routes.get("/products")
async def list_products(request: web.Request) -> web.Response:
    graph = request.app[GRAPH]
    found = await graph.store.list_products(filter_from_query(dict(request.query)), _limit(request))
    return web.json_response({"products": to_json(found)})


@routes.get("/catalogue")
async def catalogue_page(request: web.Request) -> web.Response:
    """Every product with details and outgoing links, a page at a time in id order; `next` is the
    `after` of the following page, null on the last one. For services that mirror the catalogue."""
    after = request.query.get("after", "")
    if len(after) > MAX_TEXT:
        raise ValueError(f"'after' is longer than {MAX_TEXT} characters")
    limit = _limit(request, default=PAGE_LIMIT, maximum=MAX_PAGE)
    products, links = await request.app[GRAPH].store.product_page(after, limit)
    more = len(products) == limit
    return web.json_response(
        {"products": to_json(products), "links": to_json(links), "next": products[-1].id if more else None}
    )


@routes.post("/products/lookup")
async def lookup(request: web.Request) -> web.Response:
    """Details of several products at once (a read; POST only because the id list can be long)."""
    body = await request.json()
    ids = body.get("ids") if isinstance(body, dict) and set(body) == {"ids"} else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > MAX_IDS:
        raise ValueError(f"body must be {{'ids': [up to {MAX_IDS} product ids]}}")
    return web.json_response({"products": to_json(await request.app[GRAPH].store.products(ids))})


@routes.get("/products/{product_id}")
async def product(request: web.Request) -> web.Response:
    found = await request.app[GRAPH].store.product(request.match_info["product_id"])
    if found is None:
        return error_response(404, "not_found", "No such product.")
    return web.json_response(to_json(found))


@routes.get("/products/{product_id}/related/{kind}")
async def related(request: web.Request) -> web.Response:
    kind = request.match_info["kind"].upper()
    if kind not in PRODUCT_LINKS:
        raise ValueError(f"relation must be one of {', '.join(PRODUCT_LINKS)}")
    found = await request.app[GRAPH].store.related(
        request.match_info["product_id"],
        kind,
        incoming=flag_from_query(dict(request.query), "incoming"),
        filters=filter_from_query(dict(request.query)),
        limit=_limit(request),
    )
    return web.json_response({"related": to_json(found)})


@routes.get("/resolve")
async def resolve(request: web.Request) -> web.Response:
    resolution = await request.app[GRAPH].resolve(_text(request, "text"), _limit(request, default=5))
    return web.json_response(to_json(resolution))


@routes.get("/search")
async def search(request: web.Request) -> web.Response:
    graph = request.app[GRAPH]
    result = await graph.search(_text(request, "text"), _limit(request, "k", 5), filter_from_query(dict(request.query)))
    return web.json_response(to_json(result))


@routes.get("/policy")
async def policy(request: web.Request) -> web.Response:
    found = request.app[GRAPH].policy(_text(request, "question"))
    return web.json_response({"policy": to_json(found)})


@routes.post("/imports")
async def import_file(request: web.Request) -> web.Response:
    """Imports an uploaded catalogue file (streamed to disk: feeds can be far larger than memory wants)."""
    kind = request.query.get("format", "shopify")
    if kind not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    with tempfile.TemporaryDirectory(prefix="kg-import-") as tmp:
        path = Path(tmp) / f"upload.{FORMATS[kind]}"
        with path.open("wb") as out:
            async for chunk in request.content.iter_chunked(1 << 20):
                out.write(chunk)
        if path.stat().st_size == 0:
            raise ValueError("the upload is empty: send the catalogue file as the request body")
        result = await asyncio.to_thread(parse_file, path, kind)
    async with request.app[IMPORT_LOCK]:
        summary = await request.app[GRAPH].import_catalogue(result.catalogue)
        await release_freed_memory_in_loop()  # the import's parsing and indexing garbage: not kept until the next one
    logger.info("imported %s: %d products, %d issue(s)", kind, len(result.catalogue.products), len(result.issues))
    return web.json_response(
        {
            "rows_read": result.rows_read,
            "products": len(result.catalogue.products),
            "variants": result.catalogue.variant_count(),
            "created": summary.graph.created,
            "updated": summary.graph.updated,
            "edges": summary.graph.edges,
            "index": to_json(summary.index) if summary.index else None,
            "issues": to_json(result.issues),
        }
    )


def create_app(graph_factory: Callable[[], Awaitable[ProductGraph]], api_token: str) -> web.Application:
    if not api_token:
        raise ValueError("an API token is required")
    errors = make_error_middleware(
        DomainError,
        CATALOGUE_UNAVAILABLE,
        log=logger,
        invalid=(ValueError,),
        unexpected=CATALOGUE_UNAVAILABLE,
        body_limit="1 MiB",
    )
    app = web.Application(middlewares=[errors, auth_middleware], client_max_size=MAX_BODY_BYTES)
    instrument(app)
    app[TOKEN] = api_token
    app[SPEC] = build_spec(MAX_TEXT, MAX_LIMIT, MAX_IDS, PAGE_LIMIT, MAX_PAGE)
    app[IMPORT_LOCK] = asyncio.Lock()
    app.add_routes(routes)
    app.router.add_get("/openapi.json", serve_spec)

    async def open_graph(app: web.Application) -> None:
        app[GRAPH] = await graph_factory()
        release_freed_memory()  # what building the index at start-up freed

    async def close_graph(app: web.Application) -> None:
        await app[GRAPH].store.close()

    app.on_startup.append(open_graph)
    app.on_cleanup.append(close_graph)
    return app


async def open_configured_graph(env: dict[str, str] | Any = os.environ) -> ProductGraph:
    """The graph from KG_* settings; an empty graph gets the demo catalogue unless KG_DEMO=0."""
    store = config.open_store(env)
    directory = config.index_dir(env)
    index = SemanticIndex.open(directory, get_encoder())
    graph = await ProductGraph.open(store, index, directory)
    if len(graph.resolver) == 0 and env.get("KG_DEMO", "1") != "0":
        from catalogue_files.demo import load_demo_catalogue

        demo = load_demo_catalogue()
        await graph.import_catalogue(demo.catalogue)
        logger.info("empty graph: loaded the demo catalogue (%d products)", len(demo.catalogue.products))
    return graph


def main() -> None:
    """`python -m knowledge_graph.service`; settings from KG_API_TOKEN, KG_HOST and KG_PORT."""
    run_service("KG", 8102, lambda token: create_app(open_configured_graph, token))


if __name__ == "__main__":
    main()
