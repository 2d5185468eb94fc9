"""The demo pricing rules: idempotent, and they name real products of the demo catalogue."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import pytest

from backends.pricing import seed
from backends.pricing.db import make_engine, make_sessions
from backends.pricing.rules import QuoteRequest
from backends.pricing.service import PricingService
from catalogue_files.demo import load_demo_catalogue

pytestmark = pytest.mark.asyncio

NOW = datetime(2025, 8, 10, 12, 0)


async def test_seed_is_idempotent_and_quotes_demo_products(db_url: str) -> None:
    first = await seed.run(db_url, NOW)
    assert first == {"sales": 4, "stock_rules": 2, "coupons": 4, "guardrails": 40}
    again = await seed.run(db_url, NOW)
    assert again == {"sales": 0, "stock_rules": 0, "coupons": 0, "guardrails": 40}
    products = {p.id: p for p in load_demo_catalogue().catalogue.products}
    jacket = products["storm-rain-jacket"]
    variant = jacket.variants[0]
    engine = make_engine(db_url)
    try:
        service = PricingService(make_sessions(engine), lambda: NOW)
        request = QuoteRequest(
            base_price=D(str(variant.price)),
            sku=variant.sku,
            product_id=jacket.id,
            category=jacket.category_id,
            customer_id="C1001",
            stock=10,
            consent=True,  # the VIP tier is personal: only with the shopper's consent (contracts/consent.py)
        )
        quote = await service.quote(request, "WELCOME10")
        assert [a["kind"] for a in quote["adjustments"]] == ["sale", "tier", "coupon"]
        assert quote["adjustments"][0]["explanation"].startswith("Outerwear sale: 15% off until ")
        assert quote["adjustments"][1]["explanation"] == "10% VIP discount applied"
        assert quote["customer_tier"] == "vip" and quote["unit_price"] == "61.28"
        guardrails = {g["key"] for g in (await service.list_guardrails())["guardrails"]}
        assert set(products) | {"default"} == guardrails
    finally:
        await engine.dispose()
