"""Demo pricing rules: `python -m backends.pricing.seed [--db URL] [--now 2025-06-01T12:00]`.

Product ids and categories come from the demo catalogue of the product graph, so every sale target
and per-product guardrail names a real product. Goes through the service (same validation as the
API); idempotent: sales and stock rules are matched by name, coupons by code, and only missing ones
are created (tiers, guardrails and the goodwill budget are simply set).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from backends.pricing.db import create_tables, default_db_url, make_engine, make_sessions
from backends.pricing.service import DEFAULT_GUARDRAIL, PricingService, parse_time, utcnow, when
from catalogue_files.demo import load_demo_catalogue
from contracts.catalogue import Product

logger = logging.getLogger(__name__)

TIER_PERCENTS = {"new": Decimal(0), "regular": Decimal(5), "vip": Decimal(10)}
FLOOR_SHARE = Decimal("0.6")  # never sell below 60% of the catalogue price
CEILING_SHARE = Decimal("1.25")
BUDGET = {
    "daily_budget": "200.00",
    "per_customer_budget": "30.00",
    "per_customer_window_days": 30,
    "default_amount": "10.00",
    "valid_days": 30,
    "enabled": True,
}
STOCK_RULES = [
    {"name": "Low stock", "max_stock": 3, "effect": "no_discount"},
    {"name": "Plenty in stock", "min_stock": 40, "effect": "percent_off", "percent": 5},
]
DEMO_CUSTOMERS = {"C1001": "vip", "C1002": "regular"}


def sales(now: datetime) -> list[dict[str, Any]]:
    """One sale running now, one future, one over: enough to show every case in a demo."""
    return [
        {
            "name": "Outerwear sale",
            "kind": "percent",
            "value": 15,
            "scope": "category",
            "target": "apparel-accessories/clothing/outerwear",
            "starts_at": when(now - timedelta(days=7)),
            "ends_at": when(now + timedelta(days=30)),
        },
        {
            "name": "Headlamp deal",
            "kind": "amount",
            "value": 5,
            "scope": "product",
            "target": "rechargeable-headlamp",
            "starts_at": when(now - timedelta(days=1)),
            "ends_at": when(now + timedelta(days=14)),
        },
        {
            "name": "Phone week",
            "kind": "percent",
            "value": 10,
            "scope": "category",
            "target": "electronics/communications/telephony/mobile-phones",
            "starts_at": when(now + timedelta(days=20)),
            "ends_at": when(now + timedelta(days=27)),
        },
        {
            "name": "Spring clearance",
            "kind": "percent",
            "value": 20,
            "scope": "all",
            "starts_at": when(now - timedelta(days=90)),
            "ends_at": when(now - timedelta(days=60)),
        },
    ]


def coupons(now: datetime) -> list[dict[str, Any]]:
    year = when(now + timedelta(days=365))
    return [
        {
            "code": "WELCOME10",
            "kind": "percent",
            "value": 10,
            "valid_from": when(now - timedelta(days=1)),
            "valid_to": year,
            "max_uses_per_customer": 1,
        },
        {
            "code": "SAVE5",
            "kind": "amount",
            "value": 5,
            "valid_from": when(now - timedelta(days=1)),
            "valid_to": year,
            "min_order_value": "50.00",
            "max_uses": 500,
        },
        {
            "code": "FLASH50",
            "kind": "percent",
            "value": 50,
            "valid_from": when(now - timedelta(days=1)),
            "valid_to": when(now + timedelta(days=2)),
            "max_uses": 3,
            "max_uses_per_customer": 1,
        },
        {
            "code": "SUMMER24",
            "kind": "percent",
            "value": 15,
            "valid_from": when(now - timedelta(days=200)),
            "valid_to": when(now - timedelta(days=100)),
        },
    ]


def product_guardrail(product: Product) -> dict[str, Any] | None:
    """Floor and ceiling around the product's catalogue prices."""
    if product.min_price is None or product.max_price is None:
        return None
    floor = (Decimal(str(product.min_price)) * FLOOR_SHARE).quantize(Decimal(1), rounding=ROUND_DOWN)
    ceiling = (Decimal(str(product.max_price)) * CEILING_SHARE).quantize(Decimal("0.01"))
    return {"floor_price": f"{floor}.00", "ceiling_price": str(ceiling)}


async def seed(service: PricingService, now: datetime) -> dict[str, int]:
    counts = {"sales": 0, "stock_rules": 0, "coupons": 0, "guardrails": 0}
    for tier, percent in TIER_PERCENTS.items():
        await service.set_tier(tier, percent)
    for customer_id, tier in DEMO_CUSTOMERS.items():
        await service.set_customer_tier(customer_id, tier)
    existing_sales = {s["name"] for s in (await service.list_sales())["sales"]}
    for sale in sales(now):
        if sale["name"] not in existing_sales:
            await service.create_sale(sale)
            counts["sales"] += 1
    existing_rules = {r["name"] for r in (await service.list_stock_rules())["stock_rules"]}
    for rule in STOCK_RULES:
        if rule["name"] not in existing_rules:
            await service.create_stock_rule(rule)
            counts["stock_rules"] += 1
    existing_codes = {c["code"] for c in (await service.list_coupons())["coupons"]}
    for coupon in coupons(now):
        if coupon["code"] not in existing_codes:
            await service.create_coupon(coupon)
            counts["coupons"] += 1
    await service.set_guardrail(DEFAULT_GUARDRAIL, {"max_daily_change_percent": 20, "min_change_interval_minutes": 60})
    for product in load_demo_catalogue().catalogue.products:
        limits = product_guardrail(product)
        if limits:
            await service.set_guardrail(product.id, limits)
            counts["guardrails"] += 1
    await service.set_budget(BUDGET)
    return counts


async def run(db_url: str, now: datetime) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        return await seed(PricingService(make_sessions(engine), lambda: now), now)
    finally:
        await engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("PRICING_DB_URL") or default_db_url())
    parser.add_argument("--now", type=parse_time, default=None, help="pin the clock (ISO 8601, UTC)")
    args = parser.parse_args()
    counts = asyncio.run(run(args.db, args.now or utcnow()))
    added = ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in ("sales", "stock_rules", "coupons"))
    print(f"pricing demo rules: added {added}; set {counts['guardrails']} product guardrails, tiers and budget")


if __name__ == "__main__":
    main()
