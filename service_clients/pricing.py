"""Typed async client of the pricing backend (backends/pricing, see its /openapi.json).

The catalogue price is always known from the product graph; the pricing backend adds what is
personal or temporary (sales, tiers, coupons) with an explanation for each step, so the assistant
can say why a price is what it is. When it is down, the catalogue price stands.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote as quote_path

from contracts.consent import CONSENT_KEY
from service_clients.http import JsonServiceClient

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8103"


class PricingUnavailable(Exception):
    """Down, slow or refused: the catalogue price is given without adjustments."""


@dataclass(frozen=True)
class Coupon:
    code: str
    kind: str  # percent | amount
    value: Decimal
    valid_from: datetime
    valid_to: datetime
    max_uses: int | None
    max_uses_per_customer: int | None
    min_order_value: Decimal | None
    customer_id: str | None  # a personal (goodwill) coupon
    uses: int

    def problem(self, now: datetime, customer_id: str | None) -> str | None:
        """Why the code cannot be used now by this shopper, as a short reason; None when it can."""
        if self.customer_id and self.customer_id != customer_id:
            return "personal"
        if now < self.valid_from:
            return "not_yet"
        if now >= self.valid_to:
            return "expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "used_up"
        return None


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
    env_prefix = "PRICING"
    default_url = DEFAULT_URL

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
        coupon_code: str | None = None,
        consent: bool = False,
    ) -> Quote:
        """One unit's price for this shopper (each quote is audited by the backend, so never retried).
        `consent`: the shopper agreed to personalisation; without it the backend quotes the public price
        (no tier, no personal learned price), and a coupon typed still applies."""
        body: dict[str, object] = {
            "sku": sku,
            "product_id": product_id,
            "base_price": f"{Decimal(str(base_price)):.2f}",
            "currency": currency,
            CONSENT_KEY: consent,
        }
        optional = {"category": category, "stock": stock, "customer_id": customer_id, "coupon_code": coupon_code}
        body.update({name: value for name, value in optional.items() if value is not None})
        data = await self._send("POST", "/quotes", body)
        return Quote(
            base_price=Decimal(data["base_price"]),
            unit_price=Decimal(data["unit_price"]),
            currency=data["currency"],
            explanations=tuple(a["explanation"] for a in data.get("adjustments", [])),
            guardrail=data.get("guardrail"),
        )

    async def coupon(self, code: str) -> Coupon | None:
        """The coupon's terms, or None for a code that does not exist."""
        try:
            data = await self._get(f"/coupons/{quote_path(code.strip().upper(), safe='')}")
        except CouponNotFound:
            return None
        return Coupon(
            code=data["code"],
            kind=data["kind"],
            value=Decimal(str(data["value"])),
            valid_from=datetime.fromisoformat(data["valid_from"]),
            valid_to=datetime.fromisoformat(data["valid_to"]),
            max_uses=data.get("max_uses"),
            max_uses_per_customer=data.get("max_uses_per_customer"),
            min_order_value=Decimal(data["min_order_value"]) if data.get("min_order_value") else None,
            customer_id=data.get("customer_id"),
            uses=int(data.get("uses") or 0),
        )

    async def goodwill(
        self, customer_id: str, reason: str, order_number: str | None = None, amount: Decimal | None = None
    ) -> GoodwillOffer | None:
        """A one-time apology coupon for this customer, or None when the operator's budget says no.
        Without `amount` the budget's default amount is offered."""
        body: dict[str, Any] = {"customer_id": customer_id, "reason": reason}
        if order_number:
            body["order_number"] = order_number
        if amount is not None:
            body["amount"] = f"{amount:.2f}"
        try:
            data = await self._send("POST", "/goodwill", body)
        except GoodwillRefused as refusal:
            logger.info("no goodwill offer for %s: %s", customer_id, refusal)
            return None
        amount = Decimal(str(data["amount"]))
        return GoodwillOffer(code=data["coupon_code"], amount=amount, explanation=data["explanation"])

    async def goodwill_budget(self) -> GoodwillBudget | None:
        """The operator's goodwill budget, or None when none is set (then no offer can be made)."""
        try:
            data = await self._get("/goodwill/budget")
        except NoBudget:
            return None
        return GoodwillBudget(
            default_amount=Decimal(str(data["default_amount"])),
            per_customer_budget=Decimal(str(data["per_customer_budget"])),
            enabled=bool(data["enabled"]),
        )

    def _raise_for(self, status: int, data: Mapping[str, Any], method: str, path: str) -> None:
        if status == 404 and path == "/goodwill/budget":
            raise NoBudget(path)
        if status == 409 and path == "/goodwill":
            raise GoodwillRefused((data.get("error") or {}).get("message", "refused"))
        if status == 404 and path.startswith("/coupons/"):
            raise CouponNotFound(path)
        super()._raise_for(status, data, method, path)


@dataclass(frozen=True)
class GoodwillOffer:
    code: str
    amount: Decimal
    explanation: str  # "a one-time coupon G-7K2P worth $10.00, valid until 23 Dec 2026"


@dataclass(frozen=True)
class GoodwillBudget:
    default_amount: Decimal  # what an offer is worth unless the caller asks for another amount
    per_customer_budget: Decimal  # the most one customer may get in the budget's window
    enabled: bool


class NoBudget(Exception):
    """The operator set no goodwill budget."""


class GoodwillRefused(Exception):
    """The goodwill budget (daily or per customer) does not allow another offer."""


class CouponNotFound(Exception):
    """A code the shop never issued (a 404, not a failure of the backend)."""
