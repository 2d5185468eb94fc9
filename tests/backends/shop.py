"""Test data for the order backend: a token, an address, and Shop, which builds orders in any state
through the real service operations."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from backends.orders.service import NewLine, OrdersService, utcnow
from contracts.orders import OrderStatus

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The Prometheus scraper's token (METRICS_TOKEN): /metrics answers only this one, never the API token.
METRICS_TOKEN = "scraper-token-" + "m" * 24
SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}
ADDRESS = {"name": "Jane Doe", "line1": "12 Elm Street", "city": "Springfield", "postcode": "62704", "country": "US"}
# Which fulfilment steps lead to each status (cancelled/returned are made by their own operations).
PATHS = {
    OrderStatus.PENDING_PAYMENT: [],
    OrderStatus.PAYMENT_FAILED: [OrderStatus.PAYMENT_FAILED],
    OrderStatus.PROCESSING: [OrderStatus.PROCESSING],
    OrderStatus.PACKED: [OrderStatus.PROCESSING, OrderStatus.PACKED],
    OrderStatus.SHIPPED: [OrderStatus.PROCESSING, OrderStatus.PACKED, OrderStatus.SHIPPED],
    OrderStatus.OUT_FOR_DELIVERY: [
        OrderStatus.PROCESSING,
        OrderStatus.PACKED,
        OrderStatus.SHIPPED,
        OrderStatus.OUT_FOR_DELIVERY,
    ],
    OrderStatus.DELIVERED: [
        OrderStatus.PROCESSING,
        OrderStatus.PACKED,
        OrderStatus.SHIPPED,
        OrderStatus.OUT_FOR_DELIVERY,
        OrderStatus.DELIVERED,
    ],
}


class Shop:
    """Builds customers and orders in any state through the real service operations."""

    def __init__(self, service: OrdersService) -> None:
        self.service = service
        self._numbers = count(100001)

    async def customer(self, customer_id: str = "C1", tier: str = "standard", email: str | None = None) -> str:
        email = email or f"{customer_id.lower()}@example.com"
        await self.service.create_customer(customer_id, f"Customer {customer_id}", email, "62704", tier)
        return customer_id

    async def order(
        self,
        status: OrderStatus = OrderStatus.PROCESSING,
        customer_id: str = "C1",
        *,
        placed_at: datetime | None = None,
        delivered_at: datetime | None = None,
    ) -> int:
        number = next(self._numbers)
        lines = [
            NewLine("TSH-BLK-M", "Organic Cotton T-Shirt", 2, Decimal("24.00"), "black", "M"),
            NewLine("BTL-TEA", "Steel Bottle", 1, Decimal("29.00"), "teal"),
        ]
        placed = placed_at or utcnow() - timedelta(hours=1)
        await self.service.create_order(number, customer_id, lines, ADDRESS, placed_at=placed)
        steps = PATHS[status]
        for index, step in enumerate(steps):
            at = (
                delivered_at
                if (step == OrderStatus.DELIVERED and delivered_at)
                else placed + timedelta(minutes=index + 1)
            )
            await self.service.set_status(number, step, "test", at=at)
        return number
