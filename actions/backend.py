"""One client per backend and action-server process, created on first use."""

from __future__ import annotations

from functools import cache

from actions.handoff_outbox import HandoffOutbox, default_path
from service_clients.catalogue import CatalogueClient
from service_clients.handoff import HandoffClient
from service_clients.orders import OrdersClient
from service_clients.pricing import PricingClient
from service_clients.recommendations import RecommendationsClient
from service_clients.retention import RetentionClient


@cache
def orders_client() -> OrdersClient:
    return OrdersClient.from_env()


@cache
def catalogue_client() -> CatalogueClient:
    return CatalogueClient.from_env()


@cache
def recommendations_client() -> RecommendationsClient:
    return RecommendationsClient.from_env()


@cache
def pricing_client() -> PricingClient:
    return PricingClient.from_env()


@cache
def retention_client() -> RetentionClient:
    return RetentionClient.from_env()


@cache
def handoff_client() -> HandoffClient:
    return HandoffClient.from_env()


@cache
def handoff_outbox() -> HandoffOutbox:
    return HandoffOutbox(default_path())
