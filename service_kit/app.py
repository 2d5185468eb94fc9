"""Application wiring shared by the backends: middlewares, spec, auth token and the database lifecycle."""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Middleware
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.log_setup import configure_logging
from contracts.request_ids import HEADER, end_request_id, use_request_id
from service_kit.db import make_engine
from service_kit.http import SPEC, TOKEN, VALIDATORS, auth_middleware
from service_kit.observability import instrument
from settings_kit.settings import InvalidSetting, ServiceSettings

MAX_BODY_BYTES = 64 * 1024
ENGINE = web.AppKey("engine", AsyncEngine)


class PathOnlyAccessLogger(AbstractAccessLogger):
    """aiohttp's access log without the query string: it carries shopper text (`/search?text=`).

    aiohttp writes it after the request's own context is gone, so the line gets the request id back
    from the answer's X-Request-ID (set by service_kit/observability.py)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        token = use_request_id(response.headers.get(HEADER, ""))
        try:
            self.logger.info("%s %s %s %.3f s", request.method, request.path, response.status, time)
        finally:
            end_request_id(token)


def create_service_app(
    name: str,
    db_url: str,
    api_token: str,
    *,
    spec: dict[str, Any],
    validators: dict[str, Any],
    routes: web.RouteTableDef,
    error_middleware: Middleware,
    create_tables: Callable[[AsyncEngine], Awaitable[None]],
    start_service: Callable[[web.Application, AsyncEngine], Awaitable[None]],
    log: logging.Logger,
) -> web.Application:
    """The database is opened (and tables created) when the app starts, not here, so tests can build
    apps cheaply; `start_service` puts the service object into the app once the engine exists."""
    if not api_token:
        raise ValueError("an API token is required")
    app = web.Application(middlewares=[error_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES)
    instrument(app)
    app[SPEC] = spec
    app[VALIDATORS] = validators
    app[TOKEN] = api_token
    app.add_routes(routes)

    async def open_database(app: web.Application) -> None:
        engine = make_engine(db_url)
        await create_tables(engine)
        app[ENGINE] = engine
        await start_service(app, engine)
        log.info("%s backend using %s", name, engine.url.render_as_string(hide_password=True))

    async def close_database(app: web.Application) -> None:
        await app[ENGINE].dispose()

    app.on_startup.append(open_database)
    app.on_cleanup.append(close_database)
    return app


class ServiceAddress(ServiceSettings):
    """Where a service listens and the token its callers send: <PREFIX>_HOST, <PREFIX>_PORT, <PREFIX>_API_TOKEN."""

    api_token: str = ""
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)


def run_service(env_prefix: str, default_port: int, build: Callable[[str], web.Application]) -> None:
    """The `python -m backends.<service>` entry point; settings come from <PREFIX>_* variables."""
    configure_logging()
    try:
        address = ServiceAddress.from_env(prefix=f"{env_prefix}_", defaults={"port": default_port})
    except InvalidSetting as error:
        sys.exit(str(error))
    if not address.api_token:
        sys.exit(f"{env_prefix}_API_TOKEN is not set (the launcher writes one into var/secrets.env)")
    app = build(address.api_token)
    web.run_app(app, host=address.host, port=address.port, print=None, access_log_class=PathOnlyAccessLogger)
