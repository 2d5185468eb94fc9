"""One client per backend and action-server process, created on first use."""

from __future__ import annotations

from actions.clients.catalogue import CatalogueClient
from actions.clients.orders import OrdersClient

_client: OrdersClient | None = None


def orders_client() -> OrdersClient:
    global _client
    if _client is None:
        _client = OrdersClient.from_env()
    return _client


_catalogue: CatalogueClient | None = None


def catalogue_client() -> CatalogueClient:
    global _catalogue
    if _catalogue is None:
        _catalogue = CatalogueClient.from_env()
    return _catalogue
