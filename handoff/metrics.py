"""The desk's gauges for the operator: how many tickets wait for a person, and how many agents are in.

Read from the ticket store when Prometheus scrapes (service_kit.observability.on_scrape), so the
numbers are the database's, also after a restart, and cost nothing between scrapes.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import Gauge

from handoff.api import SERVICE

QUEUE_DEPTH = Gauge("shop_handoff_queue_depth", "Hand-off tickets waiting for an agent, by status.", ["status"])
AGENTS_ONLINE = Gauge("shop_handoff_agents_online", "Agents connected to the desk.")


async def refresh_desk_gauges(app: web.Application) -> None:
    service = app.get(SERVICE)
    if service is None:  # the desk has not finished starting
        return
    for status, depth in (await service.store.queue_depths()).items():
        QUEUE_DEPTH.labels(status).set(depth)
    AGENTS_ONLINE.set(service.hub.agents_online())
