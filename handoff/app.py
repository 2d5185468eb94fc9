"""Application factory, the two authentication worlds, and the `python -m handoff` entry point.

/api/* takes only the service bearer token (the bot's side); /desk/* takes only an agent session
cookie (plus same-origin and JSON-only rules for writes, against cross-site requests from other
ports of the same host). /health and /openapi.json are public."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.log_setup import configure_logging
from handoff import desk
from handoff.analytics_api import ANALYTICS, LEADS, ReportSource
from handoff.analytics_api import routes as analytics_routes
from handoff.api import SERVICE, body_validators
from handoff.api import routes as api_routes
from handoff.config import Settings
from handoff.connectors.base import TicketConnector
from handoff.connectors.registry import connectors_from_env
from handoff.connectors.webhook import INBOUND_PATH as WEBHOOK_INBOUND_PATH
from handoff.connectors.webhook import WebhookConnector
from handoff.db import create_tables
from handoff.hub import Hub
from handoff.metrics import refresh_desk_gauges
from handoff.openapi import build_spec
from handoff.passwords import hash_password
from handoff.privacy_api import OFFICERS, PRIVACY, SubjectRequests
from handoff.privacy_api import routes as privacy_routes
from handoff.relay import RasaRelay
from handoff.service import HandoffService
from handoff.sessions import COOKIE, LoginThrottle, SessionCodec
from handoff.store import TicketStore
from handoff.sync import ExternalSync
from service_kit import http
from service_kit.db import make_engine, make_sessions
from service_kit.errors import DomainError, Unavailable
from service_kit.http import SPEC, TOKEN, VALIDATORS, error_response
from service_kit.observability import instrument, on_scrape

logger = logging.getLogger("handoff")

MAX_BODY_BYTES = 512 * 1024  # long transcripts; still bounded
ENGINE = web.AppKey("engine", AsyncEngine)
TASKS = web.AppKey("background_tasks", list)
INBOUND_PATHS = web.AppKey("inbound_paths", frozenset)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

error_middleware = http.make_error_middleware(
    DomainError, Unavailable("The ticket database is unavailable; please try again shortly."), log=logger
)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if path in http.PUBLIC_PATHS:
        return await handler(request)
    if path.startswith("/api/"):
        return await http.auth_middleware(request, handler)
    if path in request.app[INBOUND_PATHS]:
        return await handler(request)  # signed by the external system (see mount_inbound)
    if path == "/desk" or path.startswith("/desk/"):
        return await desk_guard(request, handler)
    raise web.HTTPNotFound()


async def desk_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in SAFE_METHODS or request.path == "/desk/ws":
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            logger.warning("refused %s %s from origin %s", request.method, request.path, origin)
            return error_response(403, "forbidden", "Requests must come from the desk's own page.")
    if request.method not in SAFE_METHODS and request.content_type != "application/json":
        return error_response(415, "unsupported_media_type", "Send JSON (Content-Type: application/json).")
    response = await (handler(request) if desk.is_public(request.path) else _with_session(request, handler))
    if not isinstance(response, web.WebSocketResponse):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


async def _with_session(request: web.Request, handler: Handler) -> web.StreamResponse:
    claims = request.app[desk.CODEC].read(request.cookies.get(COOKIE, ""))
    found = None if claims is None else await request.app[SERVICE].store.agent(claims.agent)
    if claims is None or found is None or not found.active or found.session_version != claims.version:
        return error_response(401, "unauthorized", "Please log in to the desk.")
    request[desk.AGENT] = found
    return await handler(request)


def mount_inbound(app: web.Application, connectors: Sequence[TicketConnector]) -> frozenset[str]:
    """Routes external systems call with agent replies (the webhook connector's, at
    /connectors/webhook/replies). They carry no desk credential: the connector checks the signature."""
    paths = []
    for connector in connectors:
        if isinstance(connector, WebhookConnector):
            app.router.add_post(WEBHOOK_INBOUND_PATH, connector.inbound_handler)
            paths.append(WEBHOOK_INBOUND_PATH)
    return frozenset(paths)


def create_app(
    settings: Settings,
    *,
    connectors: Sequence[TicketConnector] | None = None,
    env: Mapping[str, str] | None = None,
    now: Callable[[], datetime] | None = None,
    orders: Callable[[], Any] | None = None,
    privacy: SubjectRequests | None = None,
    analytics: ReportSource | None = None,
) -> web.Application:
    """`connectors` None means "from HANDOFF_CONNECTORS"; tests pass their own (or an empty list).
    `privacy` answers the privacy API across every store, `analytics` the analytics page
    (`python -m privacy.desk` gives both)."""
    env = os.environ if env is None else env
    connectors = list(connectors_from_env(env) if connectors is None else connectors)
    spec = build_spec(settings.port)
    app = web.Application(middlewares=[error_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES)
    instrument(app)
    on_scrape(app, refresh_desk_gauges)
    app[SPEC] = spec
    app[VALIDATORS] = body_validators(spec)
    app[TOKEN] = settings.api_token
    app[desk.CODEC] = SessionCodec(settings.session_secret, settings.session_hours * 3600)
    app[desk.THROTTLE] = LoginThrottle(settings.login_max_failures, settings.login_lockout_s)
    app[desk.COOKIE_SECURE] = settings.cookie_secure
    app[desk.TRUSTED_PROXIES] = settings.trusted_proxies
    app.add_routes(api_routes)
    app.add_routes(desk.routes)
    app.add_routes(privacy_routes)
    app[OFFICERS] = settings.privacy_agents
    if privacy is not None:
        app[PRIVACY] = privacy
    app.add_routes(analytics_routes)
    app[LEADS] = settings.lead_agents
    if analytics is not None:
        app[ANALYTICS] = analytics
    app[INBOUND_PATHS] = mount_inbound(app, connectors)
    app.router.add_static("/desk/static/", desk.STATIC_DIR, show_index=False, follow_symlinks=False)

    async def start(app: web.Application) -> None:
        engine = make_engine(settings.db_url)
        await create_tables(engine)
        app[ENGINE] = engine
        store = TicketStore(make_sessions(engine))
        sync = ExternalSync(store, connectors, settings.poll_interval_s)
        extra: dict[str, Any] = {k: v for k, v in (("now", now), ("orders", orders)) if v is not None}
        relay = RasaRelay(settings.rasa_url, settings.relay_token, settings.relay_timeout_s)
        service = HandoffService(settings, store, relay, Hub(), sync, **extra)
        sync.on_reply = service.external_reply
        for connector in connectors:
            if isinstance(connector, WebhookConnector):
                connector.on_reply = partial(sync.reply_arrived, connector.name)
        app[SERVICE] = service
        if settings.admin_password and await store.agent("admin") is None:
            await store.upsert_agent("admin", "Admin", hash_password(settings.admin_password))
            logger.info("created the desk agent 'admin' from HANDOFF_ADMIN_PASSWORD")
        tasks = [asyncio.create_task(service.retry_loop())]
        if connectors:
            tasks.append(asyncio.create_task(sync.poll_loop()))
        app[TASKS] = tasks
        logger.info(
            "handoff desk using %s; connectors: %s; relay to %s",
            engine.url.render_as_string(hide_password=True),
            ", ".join(c.name for c in connectors) or "none",
            settings.rasa_url,
        )

    async def shutdown(app: web.Application) -> None:
        if SERVICE in app:
            await app[SERVICE].hub.close_all()

    async def stop(app: web.Application) -> None:
        for task in app.get(TASKS, []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if SERVICE in app:
            await app[SERVICE].sync.aclose()
            await app[SERVICE].aclose()
        if ENGINE in app:
            await app[ENGINE].dispose()
        if PRIVACY in app:
            await app[PRIVACY].aclose()
        if ANALYTICS in app:
            await app[ANALYTICS].aclose()

    app.on_startup.append(start)
    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(stop)
    return app


async def _running(job: Callable[[], Coroutine[Any, Any, None]], app: web.Application) -> AsyncIterator[None]:
    """A background job for the desk's lifetime; cancelled before the stores are closed (aiohttp
    ends cleanup contexts before the `on_cleanup` handlers)."""
    task = asyncio.create_task(job())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(
    privacy: Callable[[], SubjectRequests] | None = None,
    analytics: Callable[[], ReportSource] | None = None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> None:
    """`privacy` builds the privacy API's request handler (see handoff/privacy_api.py), `analytics`
    the analytics page's report source (handoff/analytics_api.py); each of `background` runs as a
    task while the desk serves (the conversation expiry of `python -m privacy.desk`)."""
    configure_logging()
    try:
        settings = Settings.from_env()
        app = create_app(
            settings,
            privacy=None if privacy is None else privacy(),
            analytics=None if analytics is None else analytics(),
        )
    except ValueError as error:
        sys.exit(f"handoff desk: {error}")
    app.cleanup_ctx.extend(partial(_running, job) for job in background)
    if not os.environ.get("HANDOFF_RELAY_TOKEN"):
        logger.error("HANDOFF_RELAY_TOKEN is not set: Rasa will refuse every agent message")
    if not os.environ.get("HANDOFF_SESSION_SECRET"):
        logger.warning("HANDOFF_SESSION_SECRET is not set: agents are logged out whenever the desk restarts")
    logger.info("agent desk on http://%s:%d/desk/", settings.host, settings.port)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
