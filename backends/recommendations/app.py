"""Application factory and the `python -m backends.recommendations` entry point."""

from __future__ import annotations

import asyncio
import logging
import os

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from backends.recommendations import background
from backends.recommendations.abandoned_carts import AbandonedCarts, CartSettings
from backends.recommendations.api import CARTS, SERVICE, SHOP_EVENTS, body_validators, error_middleware, routes
from backends.recommendations.db import create_tables, default_db_url, make_sessions
from backends.recommendations.items import ItemCatalogue
from backends.recommendations.openapi import build_spec
from backends.recommendations.service import Clock, RecommendationService, utcnow
from backends.recommendations.settings import Settings
from backends.recommendations.shop_events import carts_consumer, shop_events_publisher
from backends.recommendations.sources import ItemSource, source_from_env
from backends.recommendations.stream import stream_consumer
from service_clients.assistant import AssistantClient
from service_kit.app import create_service_app, run_service

logger = logging.getLogger(__name__)
TASKS = web.AppKey("background_tasks", list)


def create_app(
    db_url: str,
    api_token: str,
    *,
    settings: Settings | None = None,
    items: ItemCatalogue | None = None,
    source: ItemSource | None = None,
    clock: Clock = utcnow,
    carts: CartSettings | None = None,
    assistant: AssistantClient | None = None,
) -> web.Application:
    """The service; on start it opens the database, reads the items (a fixed catalogue, or a source,
    by default the graph when KG_URL is set, else the demo catalogue) and loads the model file (or
    trains from the log)."""

    settings = settings or Settings()

    async def start_service(app: web.Application, engine: AsyncEngine) -> None:
        if items is not None:
            recommender = RecommendationService(make_sessions(engine), items, settings, clock)
        else:
            origin = source or source_from_env(os.environ, settings.graph_timeout_s, settings.graph_page_size)
            recommender = RecommendationService(make_sessions(engine), ItemCatalogue([]), settings, clock, origin)
        await recommender.start_items()
        await recommender.load_or_train()
        app[SERVICE] = recommender
        app[TASKS] = background.start(recommender)
        # Product views from the conversations, when the event stream is on (stream.py, docs/scaling.md).
        consumer = stream_consumer(make_sessions(engine))
        if consumer is not None:
            app[TASKS].append(asyncio.create_task(consumer.run()))
        # Abandoned carts become one message in the shopper's chat (abandoned_carts.py); ABANDONED_CART=off: none.
        cart_settings = carts or CartSettings.from_env()
        if cart_settings.enabled:
            detector = AbandonedCarts(
                make_sessions(engine), cart_settings, assistant or AssistantClient.from_env(), clock
            )
            app[CARTS] = detector
            app[TASKS].append(asyncio.create_task(detector.run(), name="recs-abandoned-carts"))
            cart_events = carts_consumer(detector)
            if cart_events is not None:  # the stream is on: carts come from it (shop_events.py)
                app[TASKS].append(asyncio.create_task(cart_events.run(), name="recs-cart-events"))
        publisher = shop_events_publisher()
        if publisher is not None:
            app[SHOP_EVENTS] = publisher

    async def stop_background(app: web.Application) -> None:
        await background.stop(app.get(TASKS, []))
        if CARTS in app:
            await app[CARTS].assistant.close()
        if SHOP_EVENTS in app:
            await app[SHOP_EVENTS].close()

    spec = build_spec()
    app = create_service_app(
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
    app.on_shutdown.append(stop_background)
    return app


def main() -> None:
    def build(token: str) -> web.Application:
        db_url = os.environ.get("RECS_DB_URL") or default_db_url()
        return create_app(db_url, token, settings=Settings.from_env())

    run_service("RECS", 8104, build)
