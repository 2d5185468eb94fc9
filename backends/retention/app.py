"""Application factory and the `python -m backends.retention` entry point."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backends.retention.api import SERVICE, body_validators, error_middleware, routes
from backends.retention.db import create_tables, default_db_url, make_sessions
from backends.retention.openapi import PORT, build_spec
from backends.retention.service import Clock, RetentionService, utcnow
from backends.retention.settings import Settings
from service_kit.app import create_service_app, run_service
from settings_kit.settings import InvalidSetting

logger = logging.getLogger(__name__)


def create_app(
    db_url: str, api_token: str, *, settings: Settings | None = None, clock: Clock = utcnow
) -> web.Application:
    """The service; the database is opened (and tables created) when the app starts."""

    async def start_service(app: web.Application, engine: AsyncEngine) -> None:
        app[SERVICE] = RetentionService(make_sessions(engine), settings, clock)

    spec = build_spec()
    return create_service_app(
        "retention",
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


def main() -> None:
    try:
        settings = Settings.from_env()
    except InvalidSetting as error:
        sys.exit(str(error))
    db_url = os.environ.get("RETENTION_DB_URL") or default_db_url()
    run_service("RETENTION", PORT, lambda token: create_app(db_url, token, settings=settings))
