"""Application factory and the `python -m backends.pricing` entry point."""

from __future__ import annotations

import logging
import os
import random

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backends.pricing.api import SERVICE, body_validators, error_middleware, routes
from backends.pricing.db import create_tables, default_db_url, make_sessions
from backends.pricing.learning.settings import LearnerSettings
from backends.pricing.openapi import build_spec
from backends.pricing.service import Clock, PricingService, utcnow
from service_kit.app import create_service_app, run_service

logger = logging.getLogger(__name__)


def create_app(
    db_url: str,
    api_token: str,
    *,
    clock: Clock = utcnow,
    learner: LearnerSettings | None = None,
    rng: random.Random | None = None,
) -> web.Application:
    """The service; the database is opened (and tables created) when the app starts. The price
    learner is off unless `learner` switches it on (`main` reads PRICING_LEARNER_*)."""

    async def start_service(app: web.Application, engine: AsyncEngine) -> None:
        app[SERVICE] = PricingService(make_sessions(engine), clock, learner, rng)

    spec = build_spec()
    return create_service_app(
        "pricing",
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
    learner = LearnerSettings.from_env()
    db_url = os.environ.get("PRICING_DB_URL") or default_db_url()
    run_service("PRICING", 8103, lambda token: create_app(db_url, token, learner=learner))
