"""Application factory and the `python -m backends.pricing` entry point."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from backends.pricing.api import (
    SERVICE,
    SPEC,
    TOKEN,
    VALIDATORS,
    auth_middleware,
    body_validators,
    error_middleware,
    routes,
)
from backends.pricing.db import create_tables, default_db_url, make_engine, make_sessions
from backends.pricing.openapi import build_spec
from backends.pricing.service import Clock, PricingService, utcnow

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
ENGINE = web.AppKey("engine", object)


def create_app(db_url: str, api_token: str, *, clock: Clock = utcnow) -> web.Application:
    """The service; the database is opened (and tables created) when the app starts."""
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
        app[SERVICE] = PricingService(make_sessions(engine), clock)
        logger.info("pricing backend using %s", engine.url.render_as_string(hide_password=True))

    async def close_database(app: web.Application) -> None:
        await app[ENGINE].dispose()

    app.on_startup.append(open_database)
    app.on_cleanup.append(close_database)
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = os.environ.get("PRICING_API_TOKEN", "")
    if not token:
        sys.exit("PRICING_API_TOKEN is not set (the launcher writes one into var/secrets.env)")
    app = create_app(os.environ.get("PRICING_DB_URL") or default_db_url(), token)
    host = os.environ.get("PRICING_HOST", "127.0.0.1")
    port = int(os.environ.get("PRICING_PORT", "8103"))
    web.run_app(app, host=host, port=port, print=None)
