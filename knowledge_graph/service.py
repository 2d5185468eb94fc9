"""The knowledge-graph service: the one process that owns the product graph and its search index.

The embedded database allows one writing process, and imports must work while the assistant
runs, so the action server and the import command both talk to this service over HTTP instead of
opening the database themselves. It listens on 127.0.0.1 and wants the bearer token
KG_API_TOKEN on every call except /health.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from backends.common.app import PathOnlyAccessLogger
from knowledge_graph import config
from knowledge_graph.importers.load import FORMATS, parse_file
from knowledge_graph.product_graph import ProductGraph
from knowledge_graph.schema import PRODUCT_LINKS
from knowledge_graph.semantic_search import SemanticIndex, get_encoder
from knowledge_graph.wire import filter_from_query, to_json

logger = logging.getLogger(__name__)

GRAPH = web.AppKey("graph", ProductGraph)
TOKEN = web.AppKey("token", str)
IMPORT_LOCK = web.AppKey("import_lock", asyncio.Lock)
PUBLIC_PATHS = frozenset({"/health"})
MAX_LIMIT = 50
MAX_TEXT = 500  # characters of shopper text accepted for resolve/search/policy
MAX_IDS = 200
PAGE_LIMIT, MAX_PAGE = 200, 1000  # products per /catalogue page: default and most
routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bearer auth, and every failure as {"error": {...}} with a log line; nothing leaks as a bare 500."""
    if request.path not in PUBLIC_PATHS:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), request.app[TOKEN].encode()):
            return error(401, "unauthorized", "A valid bearer token is required.")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error(exc.status, "http_error", exc.reason)
    except ValueError as exc:
        return error(422, "invalid_request", str(exc))
    except Exception:
        logger.exception("knowledge graph failed on %s %s", request.method, request.path)
        return error(503, "unavailable", "The product catalogue is unavailable right now.")


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
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > MAX_IDS:
        raise ValueError(f"body must be {{'ids': [up to {MAX_IDS} product ids]}}")
    return web.json_response({"products": to_json(await request.app[GRAPH].store.products(ids))})


@routes.get("/products/{product_id}")
async def product(request: web.Request) -> web.Response:
    found = await request.app[GRAPH].store.product(request.match_info["product_id"])
    if found is None:
        return error(404, "not_found", "No such product.")
    return web.json_response(to_json(found))


@routes.get("/products/{product_id}/related/{kind}")
async def related(request: web.Request) -> web.Response:
    kind = request.match_info["kind"].upper()
    if kind not in PRODUCT_LINKS:
        raise ValueError(f"relation must be one of {', '.join(PRODUCT_LINKS)}")
    found = await request.app[GRAPH].store.related(
        request.match_info["product_id"],
        kind,
        incoming=request.query.get("incoming", "").lower() in ("1", "true", "yes"),
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
        result = await asyncio.to_thread(parse_file, path, kind)
    async with request.app[IMPORT_LOCK]:
        summary = await request.app[GRAPH].import_catalogue(result.catalogue)
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
    app = web.Application(middlewares=[guard], client_max_size=1 << 20)
    app[TOKEN] = api_token
    app[IMPORT_LOCK] = asyncio.Lock()
    app.add_routes(routes)

    async def open_graph(app: web.Application) -> None:
        app[GRAPH] = await graph_factory()

    async def close_graph(app: web.Application) -> None:
        await app[GRAPH].store.close()

    app.on_startup.append(open_graph)
    app.on_cleanup.append(close_graph)
    return app


async def open_configured_graph(env: dict[str, str] | Any = os.environ) -> ProductGraph:
    """The graph from KG_* settings; an empty graph gets the demo catalogue unless KG_DEMO=0."""
    store = config.open_store(env)
    directory = config.index_dir(env)
    index = SemanticIndex.load(directory, get_encoder()) if directory.exists() else SemanticIndex(get_encoder())
    graph = await ProductGraph.open(store, index, directory)
    if len(graph.resolver) == 0 and env.get("KG_DEMO", "1") != "0":
        from knowledge_graph.importers.demo import load_demo_catalogue

        demo = load_demo_catalogue()
        await graph.import_catalogue(demo.catalogue)
        logger.info("empty graph: loaded the demo catalogue (%d products)", len(demo.catalogue.products))
    return graph


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = os.environ.get("KG_API_TOKEN", "")
    if not token:
        sys.exit("KG_API_TOKEN is not set (the launcher writes one into var/secrets.env)")
    app = create_app(open_configured_graph, token)
    port = int(os.environ.get("KG_PORT", "8102"))
    # Search and policy questions carry the shopper's words in the query string: log paths only.
    host = os.environ.get("KG_HOST", "127.0.0.1")
    web.run_app(app, host=host, port=port, print=None, access_log_class=PathOnlyAccessLogger)


if __name__ == "__main__":
    main()
