"""Application factory and the `python -m backends.recommendations` entry point."""

from __future__ import annotations

import logging
import os

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backends.common.app import create_service_app, run_service
from backends.recommendations.api import SERVICE, body_validators, error_middleware, routes
from backends.recommendations.db import create_tables, default_db_url, make_sessions
from backends.recommendations.items import ItemCatalogue, demo_items
from backends.recommendations.openapi import build_spec
from backends.recommendations.service import Clock, RecommendationService, utcnow
from backends.recommendations.settings import Settings

logger = logging.getLogger(__name__)


def create_app(
    db_url: str,
    api_token: str,
    *,
    settings: Settings | None = None,
    items: ItemCatalogue | None = None,
    clock: Clock = utcnow,
) -> web.Application:
    """The service; on start it opens the database and loads the model file (or trains from the log)."""

    async def start_service(app: web.Application, engine: AsyncEngine) -> None:
        recommender = RecommendationService(make_sessions(engine), items or demo_items(), settings or Settings(), clock)
        await recommender.load_or_train()
        app[SERVICE] = recommender

    spec = build_spec()
    return create_service_app(
        "recommendations",
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
    def build(token: str) -> web.Application:
        db_url = os.environ.get("RECS_DB_URL") or default_db_url()
        return create_app(db_url, token, settings=Settings.from_env())

    run_service("RECS", 8104, build)
