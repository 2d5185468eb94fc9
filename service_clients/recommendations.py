"""Typed async client of the recommendations backend (backends/recommendations, see its /openapi.json).

A recommendation is a nice-to-have in a conversation: when the backend is down, slow or has
capped this shopper, callers fall back to search, so every failure is RecommendationsUnavailable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from contracts.consent import CONSENT_KEY
from service_clients.http import JsonServiceClient

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8104"


class RecommendationsUnavailable(Exception):
    """Down, slow or refused: the shopper gets search results instead."""


@dataclass(frozen=True)
class RecommendedItem:
    product_id: str
    title: str
    score: float
    reason: str  # "people who bought X also bought", shown to the shopper


@dataclass(frozen=True)
class RecommendationList:
    items: list[RecommendedItem]
    capped: bool  # the conversation has had its share of recommendation lists for now
    variant: str  # A/B variant the shopper is in
    personalised: bool = False  # built from the customer's history (they consented)


class RecommendationsClient(JsonServiceClient):
    service = "recommendations backend"
    unavailable = RecommendationsUnavailable
    env_prefix = "RECS"
    default_url = DEFAULT_URL

    async def recommend(
        self,
        customer_id: str | None,
        *,
        product_id: str | None = None,
        cart: Sequence[str] = (),
        conversation_id: str | None = None,
        k: int = 5,
        consent: bool = False,
    ) -> RecommendationList:
        """`consent`: the shopper agreed to personalisation; without it the backend ignores the customer id."""
        params = {"k": str(k), CONSENT_KEY: "true" if consent else "false"}
        optional = {
            "customer_id": customer_id,
            "product_id": product_id,
            "conversation_id": conversation_id,
            "cart": ",".join(cart) or None,
        }
        params.update({name: value for name, value in optional.items() if value})
        data = await self._get("/recommendations", params)
        items = [
            RecommendedItem(item["product_id"], item.get("title", ""), float(item["score"]), item.get("reason", ""))
            for item in data.get("items", [])
        ]
        return RecommendationList(
            items, bool(data.get("capped")), str(data.get("variant", "")), bool(data.get("personalised"))
        )

    async def record_view(self, customer_id: str, product_id: str, conversation_id: str | None = None) -> None:
        """A product the shopper asked about: it shapes their next recommendations."""
        body = {"customer_id": customer_id, "product_id": product_id, "type": "view"}
        if conversation_id:
            body["conversation_id"] = conversation_id
        await self._send("POST", "/interactions", body)
