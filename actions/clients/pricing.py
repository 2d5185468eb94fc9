"""Typed async client of the pricing backend (backends/pricing, see its /openapi.json).

The catalogue price is always known from the product graph; the pricing backend adds what is
personal or temporary (sales, tiers, coupons) with an explanation for each step, so the assistant
can say why a price is what it is. When it is down, the catalogue price stands.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from decimal import Decimal

from actions.clients.http import JsonServiceClient

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8103"


class PricingUnavailable(Exception):
    """Down, slow or refused: the catalogue price is given without adjustments."""


@dataclass(frozen=True)
class Quote:
    base_price: Decimal
    unit_price: Decimal
    currency: str
    explanations: tuple[str, ...]  # "Outerwear sale: 15% off", in the order applied
    guardrail: str | None  # "held at the floor price of $20.00"

    @property
    def adjusted(self) -> bool:
        return self.unit_price != self.base_price


class PricingClient(JsonServiceClient):
    service = "pricing backend"
    unavailable = PricingUnavailable

    @classmethod
    def from_env(cls) -> PricingClient:
        token = os.environ.get("PRICING_API_TOKEN", "")
        if not token:
            logger.error("PRICING_API_TOKEN is not set: every call to the pricing backend will be refused")
        timeout_s = float(os.environ.get("PRICING_TIMEOUT_S", "2"))
        return cls(os.environ.get("PRICING_URL", DEFAULT_URL), token, timeout_s=timeout_s)

    async def quote(
        self,
        *,
        sku: str,
        product_id: str,
        base_price: float,
        currency: str = "USD",
        category: str | None = None,
        stock: int | None = None,
        customer_id: str | None = None,
    ) -> Quote:
        """One unit's price for this shopper (each quote is audited by the backend, so never retried)."""
        body: dict[str, object] = {
            "sku": sku,
            "product_id": product_id,
            "base_price": f"{Decimal(str(base_price)):.2f}",
            "currency": currency,
        }
        optional = {"category": category, "stock": stock, "customer_id": customer_id}
        body.update({name: value for name, value in optional.items() if value is not None})
        data = await self._send("POST", "/quotes", body)
        return Quote(
            base_price=Decimal(data["base_price"]),
            unit_price=Decimal(data["unit_price"]),
            currency=data["currency"],
            explanations=tuple(a["explanation"] for a in data.get("adjustments", [])),
            guardrail=data.get("guardrail"),
        )
