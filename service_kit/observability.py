"""What every aiohttp service gets from the kit for its operator: Prometheus metrics and the request id.

`instrument(app)` adds, in front of the app's own middlewares, one middleware that

- takes the caller's `X-Request-ID` (or makes one), keeps it current while the request is handled
  (so every log line carries it, contracts/log_setup.py) and returns it in the answer;
- counts the request and times it by method, route *template* (`/orders/{number}`, never the
  path with a shopper's order number in it) and status: `shop_http_requests_total`,
  `shop_http_request_duration_seconds`;

and the route `GET /metrics` (Prometheus text format). The metrics are not for strangers: the route
answers only `Authorization: Bearer <METRICS_TOKEN>` (one token for the scraper, separate from every
service's API token, so a scraper cannot call a service) and is switched off (404) while
METRICS_TOKEN is unset. Processes with several workers set PROMETHEUS_MULTIPROC_DIR (prometheus-client's
multiprocess mode) and every worker answers for all of them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import Field

from contracts.metrics import LATENCY, METRICS_PATH, REQUESTS, UNMATCHED_ROUTE, exposition, scrape_allowed
from contracts.request_ids import HEADER, accepted_request_id, end_request_id, use_request_id
from settings_kit.settings import ServiceSettings


class MetricsSettings(ServiceSettings):
    """METRICS_TOKEN: the bearer token of the Prometheus scraper; unset means /metrics is off."""

    token: str = Field("", validation_alias="METRICS_TOKEN")


ScrapeHook = Callable[[web.Application], Awaitable[None]]
METRICS_SETTINGS = web.AppKey("metrics_settings", MetricsSettings)
SCRAPE_HOOKS = web.AppKey("metrics_scrape_hooks", list[ScrapeHook])


def route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return UNMATCHED_ROUTE if resource is None else resource.canonical


@web.middleware
async def observe_request(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = accepted_request_id(request.headers.get(HEADER))
    token = use_request_id(request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if not response.prepared:
            response.headers[HEADER] = request_id
        return response
    except web.HTTPException as error:
        status = error.status
        error.headers[HEADER] = request_id
        raise
    finally:
        route = route_template(request)
        REQUESTS.labels(request.method, route, str(status)).inc()
        LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        end_request_id(token)


async def serve_metrics(request: web.Request) -> web.Response:
    token = request.app[METRICS_SETTINGS].token
    if not token:
        raise web.HTTPNotFound()
    if not scrape_allowed(request.headers.get("Authorization", ""), token):
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})
    for hook in request.app[SCRAPE_HOOKS]:
        await hook(request.app)
    return web.Response(body=exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def instrument(app: web.Application, settings: MetricsSettings | None = None) -> web.Application:
    """Adds the request middleware (outermost, so it sees the status the error middleware chose) and
    GET /metrics; `settings` default to the environment's."""
    app.middlewares.insert(0, observe_request)
    app[METRICS_SETTINGS] = settings if settings is not None else MetricsSettings.from_env()
    app[SCRAPE_HOOKS] = []
    app.router.add_get(METRICS_PATH, serve_metrics)
    return app


def on_scrape(app: web.Application, hook: ScrapeHook) -> None:
    """`hook` runs before each scrape: for gauges read from a database (queue depths), which a
    synchronous gauge callback cannot await."""
    app[SCRAPE_HOOKS].append(hook)
