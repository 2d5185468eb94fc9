"""One order-backend client per action-server process, created on first use."""

from __future__ import annotations

from actions.clients.orders import OrdersClient

_client: OrdersClient | None = None


def orders_client() -> OrdersClient:
    global _client
    if _client is None:
        _client = OrdersClient.from_env()
    return _client
