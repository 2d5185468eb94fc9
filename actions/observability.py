"""The action server's share of metrics, request ids and log format, attached to rasa-sdk's Sanic app.

rasa-sdk has no metrics and no request ids, and its server is Sanic rather than aiohttp, so the kit's
middleware (service_kit/observability.py) cannot be used as it is; this plugin does the same with
Sanic middlewares and the shared metrics, token check and exposition (contracts/metrics.py):

- the request id is the one Rasa stored with the shopper's message (`request_id` in the latest
  message's metadata, put there by the channel): it is current while the action runs, so the action
  server's log lines and its calls to the backends (service_clients sends `X-Request-ID`) carry it;
- every request is counted and timed like in the other services, and each action by name
  (`shop_action_duration_seconds`); GET /metrics answers the scraper's METRICS_TOKEN;
- the hand-off outbox's depth is read when Prometheus scrapes.

Registered by rasa_sdk_plugins.init_hooks, so every worker process gets it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pluggy
from prometheus_client import Gauge
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from actions import backend
from actions.metrics import ACTION_SECONDS
from contracts.log_setup import adopt_framework_handlers
from contracts.metrics import CONTENT_TYPE, LATENCY, METRICS_PATH, REQUESTS, UNMATCHED_ROUTE, exposition, scrape_allowed
from contracts.request_ids import HEADER, METADATA_KEY, accepted_request_id, end_request_id, use_request_id
from service_kit.observability import MetricsSettings

hookimpl = pluggy.HookimplMarker("rasa_sdk")
logger = logging.getLogger(__name__)

OUTBOX_DEPTH = Gauge(
    "shop_handoff_outbox_depth", "Hand-off requests kept by the action server, by state (pending, rejected).", ["state"]
)


def message_request_id(request: Request) -> str:
    """The request id stored with the message this action runs for (a new one when there is none)."""
    body = request.json if request.method == "POST" else None
    tracker = body.get("tracker") if isinstance(body, dict) else None
    latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
    metadata = latest.get("metadata") if isinstance(latest, dict) else None
    offered = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    return accepted_request_id(offered or request.headers.get(HEADER))


def action_name(request: Request) -> str | None:
    body = request.json if request.method == "POST" else None
    name = body.get("next_action") if isinstance(body, dict) else None
    return name if isinstance(name, str) else None


async def start_request(request: Request) -> None:
    try:
        request_id = message_request_id(request)
    except Exception:  # a body that is no JSON: the token guard or rasa-sdk answers it
        request_id = accepted_request_id(None)
    request.ctx.request_id = request_id
    request.ctx.request_id_token = use_request_id(request_id)
    request.ctx.started = time.perf_counter()


async def finish_request(request: Request, answer: BaseHTTPResponse) -> None:
    started = getattr(request.ctx, "started", None)
    if started is None:  # refused before our request middleware ran
        return
    elapsed = time.perf_counter() - started
    route = request.uri_template or UNMATCHED_ROUTE
    REQUESTS.labels(request.method, route, str(answer.status)).inc()
    LATENCY.labels(request.method, route).observe(elapsed)
    name = action_name(request) if route == "/webhook" else None
    if name:
        ACTION_SECONDS.labels(name).observe(elapsed)
    # The access line rasa-sdk does not write: which action, how it ended, how long it took.
    logger.info("%s %s %s %s %.3f s", request.method, route, name or "-", answer.status, elapsed)
    answer.headers[HEADER] = request.ctx.request_id
    end_request_id(request.ctx.request_id_token)


def serve_metrics(settings: MetricsSettings) -> Any:
    async def metrics(request: Request) -> HTTPResponse:
        if not settings.token:
            return response.json({"error": "not_found", "message": "metrics are off (METRICS_TOKEN)"}, status=404)
        if not scrape_allowed(request.headers.get("authorization") or "", settings.token):
            return response.json({"error": "unauthorized", "message": "the scraper's token is required"}, status=401)
        outbox = backend.handoff_outbox()
        OUTBOX_DEPTH.labels("pending").set(len(outbox.pending()))
        OUTBOX_DEPTH.labels("rejected").set(len(outbox.rejected()))
        return response.raw(exposition(), content_type=CONTENT_TYPE)

    return metrics


class ObservabilityPlugin:
    NAME = "shop-assistant-observability"

    def __init__(self, settings: MetricsSettings) -> None:
        self.settings = settings

    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        adopt_framework_handlers()
        app.register_middleware(start_request, "request")
        app.register_middleware(finish_request, "response")
        app.add_route(serve_metrics(self.settings), METRICS_PATH, methods=["GET"], name="shop_metrics")
