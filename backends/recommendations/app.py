"""Application factory and the `python -m backends.recommendations` entry point."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from backends.recommendations.api import (
    SERVICE,
    SPEC,
    TOKEN,
    VALIDATORS,
    auth_middleware,
    body_validators,
    error_middleware,
    routes,
)
from backends.recommendations.db import create_tables, default_db_url, make_engine, make_sessions
from backends.recommendations.items import ItemCatalogue, demo_items
from backends.recommendations.openapi import build_spec
from backends.recommendations.service import Clock, RecommendationService, utcnow
from backends.recommendations.settings import Settings

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
ENGINE = web.AppKey("engine", object)


def create_app(
    db_url: str,
    api_token: str,
    *,
    settings: Settings | None = None,
    items: ItemCatalogue | None = None,
    clock: Clock = utcnow,
) -> web.Application:
    """The service; on start it opens the database and loads the model file (or trains from the log)."""
    if not api_token:
        raise ValueError("an API token is required")
    app = web.Application(middlewares=[error_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES)
    spec = build_spec()
    app[SPEC] = spec
    app[VALIDATORS] = body_validators(spec)
    app[TOKEN] = api_token
    app.add_routes(routes)

    async def open_database(app: web.Application) -> None:
        engine = make_engine(db_url)
        await create_tables(engine)
        app[ENGINE] = engine
        recommender = RecommendationService(make_sessions(engine), items or demo_items(), settings or Settings(), clock)
        await recommender.load_or_train()
        app[SERVICE] = recommender
        logger.info("recommendations backend using %s", engine.url.render_as_string(hide_password=True))

    async def close_database(app: web.Application) -> None:
        await app[ENGINE].dispose()

    app.on_startup.append(open_database)
    app.on_cleanup.append(close_database)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = os.environ.get("RECS_API_TOKEN", "")
    if not token:
        sys.exit("RECS_API_TOKEN is not set (the launcher writes one into var/secrets.env)")
    app = create_app(os.environ.get("RECS_DB_URL") or default_db_url(), token, settings=Settings.from_env())
    host = os.environ.get("RECS_HOST", "127.0.0.1")
    port = int(os.environ.get("RECS_PORT", "8104"))
    web.run_app(app, host=host, port=port, print=None)
