"""The Rasa server's own metrics: its HTTP requests, the shopper turns it handles, and the wait for a
conversation's lock.

Until now the Rasa server exported nothing (its turns were counted by the sentiment service it calls,
its fallbacks and hand-offs by the action server). These series say what only the server knows:

- `shop_turns_total{channel, outcome}`: every shopper message a channel handed to Rasa, by how it
  ended (`answered`; `empty` or `too_long`: a polite refusal without processing; `busy`: no turn
  slot in time (admission control); `for_agent`: held for the human agent; `apology`: no reply came,
  the shopper got the apology; `error`: the apology after an exception; `silent`: a command that
  needs no reply), counted in channels/guard.py;
- `shop_turn_duration_seconds{channel}`: from the channel's hand-over to the last reply;
- `shop_turns_in_progress`: turns being processed now (a queue forms when it stays above the workers'
  capacity);
- `shop_conversation_lock_wait_seconds`: how long a turn waited for its conversation's ticket in the
  Redis lock store (channels/lock_store.py; several messages of one conversation, or several workers);
- `shop_http_requests_total` / `shop_http_request_duration_seconds` by route template, like every
  other service (contracts/metrics.py).

`GET /metrics` answers only the scraper's token (METRICS_TOKEN), like the other services. With several
Rasa workers each worker is scraped on its own port (docs/operations.md).

`attach(app)` is called by channels/rasa_runtime.py on the app Rasa's `configure_app` returns.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from contracts.metrics import CONTENT_TYPE, LATENCY, METRICS_PATH, REQUESTS, UNMATCHED_ROUTE, exposition, scrape_allowed

TURN_BUCKETS = (0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

TURNS = Counter(
    "shop_turns_total",
    "Shopper messages handled by the Rasa server, by channel and how they ended.",
    ["channel", "outcome"],
)
TURN_SECONDS = Histogram(
    "shop_turn_duration_seconds",
    "Time from a channel handing a message to Rasa to its last reply.",
    ["channel"],
    buckets=TURN_BUCKETS,
)
TURNS_IN_PROGRESS = Gauge("shop_turns_in_progress", "Shopper turns the Rasa server is processing now.")
LOCK_WAIT_SECONDS = Histogram(
    "shop_conversation_lock_wait_seconds",
    "Time a turn waited for its conversation's ticket in the Redis lock store.",
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def metrics_token(env: Mapping[str, str] = os.environ) -> str:
    return env.get("METRICS_TOKEN", "")


async def start_request(request: Request) -> None:
    request.ctx.metrics_started = time.perf_counter()


async def finish_request(request: Request, answer: BaseHTTPResponse) -> None:
    started = getattr(request.ctx, "metrics_started", None)
    if started is None:  # refused before our request middleware ran
        return
    route = request.uri_template or UNMATCHED_ROUTE
    REQUESTS.labels(request.method, route, str(answer.status)).inc()
    LATENCY.labels(request.method, route).observe(time.perf_counter() - started)


def serve_metrics(token: str) -> Any:
    async def metrics(request: Request) -> HTTPResponse:
        if not token:
            return response.json({"error": "not_found", "message": "metrics are off (METRICS_TOKEN)"}, status=404)
        if not scrape_allowed(request.headers.get("authorization") or "", token):
            return response.json({"error": "unauthorized", "message": "the scraper's token is required"}, status=401)
        return response.raw(exposition(), content_type=CONTENT_TYPE)

    return metrics


def attach(app: Sanic, env: Mapping[str, str] = os.environ) -> Sanic:
    """The request middlewares and `GET /metrics` on Rasa's app, before the server starts."""
    app.register_middleware(start_request, "request")
    app.register_middleware(finish_request, "response")
    app.add_route(serve_metrics(metrics_token(env)), METRICS_PATH, methods=["GET"], name="shop_metrics")
    return app
