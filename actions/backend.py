"""One client per backend and action-server process, created on first use."""

from __future__ import annotations

from actions.clients.catalogue import CatalogueClient
from actions.clients.orders import OrdersClient
from actions.clients.pricing import PricingClient
from actions.clients.recommendations import RecommendationsClient

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


_recommendations: RecommendationsClient | None = None


def recommendations_client() -> RecommendationsClient:
    global _recommendations
    if _recommendations is None:
        _recommendations = RecommendationsClient.from_env()
    return _recommendations


_pricing: PricingClient | None = None


def pricing_client() -> PricingClient:
    global _pricing
    if _pricing is None:
        _pricing = PricingClient.from_env()
    return _pricing
