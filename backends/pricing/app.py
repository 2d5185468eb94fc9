"""Application factory and the `python -m backends.pricing` entry point."""

from __future__ import annotations

import logging
import os
import random
import sys

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backends.pricing.api import SERVICE, body_validators, error_middleware, routes
from backends.pricing.db import create_tables, default_db_url, make_sessions
from backends.pricing.learning.outcomes import OutcomeSettings
from backends.pricing.learning.settings import LearnerSettings
from backends.pricing.openapi import build_spec
from backends.pricing.outcomes import OrderPurchases, OrdersReader
from backends.pricing.outcomes import install as install_sweep
from backends.pricing.service import Clock, PricingService, utcnow
from service_kit.app import create_service_app, run_service
from settings_kit.settings import InvalidSetting

logger = logging.getLogger(__name__)


def create_app(
    db_url: str,
    api_token: str,
    *,
    clock: Clock = utcnow,
    learner: LearnerSettings | None = None,
    rng: random.Random | None = None,
    outcomes: tuple[OutcomeSettings, OrderPurchases] | None = None,
) -> web.Application:
    """The service; the database is opened (and tables created) when the app starts. The price
    learner is off unless `learner` switches it on (`main` reads PRICING_LEARNER_*); `outcomes` runs
    the outcome sweep on a timer (`main` does while the learner is on)."""

    async def start_service(app: web.Application, engine: AsyncEngine) -> None:
        app[SERVICE] = PricingService(make_sessions(engine), clock, learner, rng)

    spec = build_spec()
    app = create_service_app(
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
    if outcomes is not None and outcomes[0].sweep_every.total_seconds() > 0:
        install_sweep(app, SERVICE, outcomes[1], outcomes[0])
    return app


def main() -> None:
    try:
        learner, outcomes = LearnerSettings.from_env(), OutcomeSettings.from_env()
    except InvalidSetting as error:
        sys.exit(str(error))
    db_url = os.environ.get("PRICING_DB_URL") or default_db_url()

    def build(token: str) -> web.Application:
        sweep = (outcomes, OrderPurchases(OrdersReader.from_env())) if learner.enabled else None
        return create_app(db_url, token, learner=learner, outcomes=sweep)

    run_service("PRICING", 8103, build)
