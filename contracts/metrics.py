"""The operator's metrics that every process shares: the HTTP request series, the scraper's token check
and the exposition, for the aiohttp services (service_kit/observability.py), the action server
(actions/observability.py) and the Rasa server (channels/rasa_metrics.py) alike.

Both venvs have prometheus-client at the same version; each process registers these series once, in
its own registry, so every process answers `GET /metrics` with the same names and labels and one
dashboard reads them all. The route label is always the route *template* (`/orders/{number}`,
`/conversations/<conversation_id>/tracker`), never a path with a shopper's data in it.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

METRICS_PATH = "/metrics"
UNMATCHED_ROUTE = "(unmatched)"  # 404s: one series, not one per path a scanner tries
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter(
    "shop_http_requests_total", "HTTP requests answered, by route template and status.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "shop_http_request_duration_seconds",
    "Time from receiving a request to its answer, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def scrape_allowed(authorization: str, token: str) -> bool:
    """Whether an `Authorization` header carries the scraper's token (constant-time compare)."""
    scheme, _, offered = authorization.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode())


def exposition(env: Mapping[str, str] = os.environ) -> bytes:
    """The metrics of this process, or of all worker processes in multiprocess mode."""
    if env.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated in prometheus-client
        return generate_latest(registry)
    return generate_latest(REGISTRY)
