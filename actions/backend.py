"""One client per backend and action-server process, created on first use."""

from __future__ import annotations

from functools import cache

from actions.clients.catalogue import CatalogueClient
from actions.clients.handoff import HandoffClient
from actions.clients.orders import OrdersClient
from actions.clients.pricing import PricingClient
from actions.clients.recommendations import RecommendationsClient
from actions.handoff_outbox import HandoffOutbox, default_path


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
def handoff_client() -> HandoffClient:
    return HandoffClient.from_env()


@cache
def handoff_outbox() -> HandoffOutbox:
    return HandoffOutbox(default_path())
