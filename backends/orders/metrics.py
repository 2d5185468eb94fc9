"""The orders backend's counters for alerting (failed proofs, lockouts, change codes) on the kit's
/metrics (service_kit/observability.py), beside the request metrics every service has.

The service keeps its counters (`OrdersService.metrics()`, the active lockouts from the database);
a scrape first reads them (`on_scrape`), then this collector reports what was read. The names are
the ones operators alert on: `orders_<counter>_total` and the gauge `orders_lockouts_active`.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiohttp import web
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from backends.orders.api import SERVICE
from backends.orders.service import OrdersService

GAUGES = frozenset({"lockouts_active"})


class OrdersCounters(Collector):
    """Reports the counters read at the latest scrape (nothing before the first one)."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def collect(self) -> Iterator[Metric]:
        for name, value in sorted(self.values.items()):
            if name in GAUGES:
                yield GaugeMetricFamily(f"orders_{name}", f"Orders backend: {name.replace('_', ' ')}.", value=value)
            else:
                yield CounterMetricFamily(f"orders_{name}", f"Orders backend: {name.replace('_', ' ')}.", value=value)


COUNTERS = OrdersCounters()
REGISTRY.register(COUNTERS)


async def read_counters(app: web.Application) -> None:
    service: OrdersService | None = app.get(SERVICE)
    if service is not None:
        COUNTERS.values = await service.metrics()
