"""Application factory and the `python -m backends.orders` entry point."""

from __future__ import annotations

import logging
import os

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backends.orders.access import AccessSettings
from backends.orders.api import SERVICE, body_validators, error_middleware, routes
from backends.orders.db import DEFAULT_DB_URL, create_tables, make_sessions
from backends.orders.mail import Mailer, mailer_from_env
from backends.orders.metrics import read_counters
from backends.orders.openapi import build_spec
from backends.orders.service import Clock, OrdersService, utcnow
from service_kit.app import create_service_app, run_service
from service_kit.observability import on_scrape

logger = logging.getLogger(__name__)


def create_app(
    db_url: str,
    api_token: str,
    *,
    clock: Clock = utcnow,
    mailer: Mailer | None = None,
    access: AccessSettings | None = None,
) -> web.Application:
    """The service; the database is opened (and tables created) when the app starts. Lockout and
    code settings and the outbox come from the environment unless given (tests pass their own)."""
    settings = access or AccessSettings.from_env()
    outbox = mailer or mailer_from_env()

    async def start_service(app: web.Application, engine: AsyncEngine) -> None:
        app[SERVICE] = OrdersService(
            make_sessions(engine), clock, access=settings, mailer=outbox, code_secret=api_token.encode()
        )

    spec = build_spec()
    app = create_service_app(
        "orders",
        db_url,
        api_token,
        spec=spec,
        validators=body_validators(spec),
        routes=routes,
        error_middleware=error_middleware,
        create_tables=create_tables,
        start_service=start_service,
        log=logger,
    )
    on_scrape(app, read_counters)  # the proof and code counters on /metrics (backends/orders/metrics.py)
    return app


def main() -> None:
    run_service("ORDERS", 8101, lambda token: create_app(os.environ.get("ORDERS_DB_URL", DEFAULT_DB_URL), token))
