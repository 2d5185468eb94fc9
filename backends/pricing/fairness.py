"""Fairness report: the final prices and offers each customer segment got, from the quote audit.

    python -m backends.pricing.fairness [--db URL] [--days 30] [--format json|csv]

The same figures are served at `GET /fairness`. A segment is the one the price learner uses
(`learning/segments.py`: allow-listed features only, today the customer tier); quotes before the
learner was on count too, so tier discounts and coupons are in the picture. The operations analytics
read this (the endpoint's JSON or the command's CSV) to show personalisation is not biased.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backends.pricing.db import default_db_url, make_engine, make_sessions
from backends.pricing.learning.segments import ANONYMOUS, SEGMENT_FEATURES
from backends.pricing.models import QuoteAudit

COLUMNS = (
    "segment",
    "quotes",
    "customers",
    "mean_base_price",
    "mean_unit_price",
    "mean_discount_percent",
    "discounted_share",
    "learned_offers",
    "mean_learned_discount_percent",
    "coupon_share",
)


@dataclass
class _Totals:
    quotes: int = 0
    customers: set[str] = field(default_factory=set)
    base: float = 0.0
    unit: float = 0.0
    discount: float = 0.0
    discounted: int = 0
    learned: int = 0
    learned_discount: float = 0.0
    coupons: int = 0


def segment_figures(rows: Iterable[tuple[str | None, dict[str, Any], list[Any], Decimal]]) -> list[dict[str, Any]]:
    """Per segment from (customer id, inputs, adjustments, unit price) audit rows."""
    totals: dict[str, _Totals] = defaultdict(_Totals)
    for customer_id, inputs, adjustments, unit_price in rows:
        learner = inputs.get("learner") or {}
        segment = learner.get("segment") or inputs.get("customer_tier") or ANONYMOUS
        base, unit = float(inputs.get("base_price") or 0), float(unit_price)
        t = totals[segment]
        t.quotes += 1
        if customer_id:
            t.customers.add(customer_id)
        t.base += base
        t.unit += unit
        t.discount += (base - unit) / base * 100 if base > 0 else 0.0
        t.discounted += unit < base
        learned = float(learner.get("discount") or 0)
        t.learned += learned > 0
        t.learned_discount += learned
        t.coupons += any(a.get("kind") == "coupon" for a in adjustments)
    return [
        {
            "segment": segment,
            "quotes": t.quotes,
            "customers": len(t.customers),
            "mean_base_price": round(t.base / t.quotes, 2),
            "mean_unit_price": round(t.unit / t.quotes, 2),
            "mean_discount_percent": round(t.discount / t.quotes, 2),
            "discounted_share": round(t.discounted / t.quotes, 4),
            "learned_offers": t.learned,
            "mean_learned_discount_percent": round(t.learned_discount / t.quotes, 2),
            "coupon_share": round(t.coupons / t.quotes, 4),
        }
        for segment, t in sorted(totals.items())
    ]


async def report(session: AsyncSession, since: datetime, until: datetime) -> dict[str, Any]:
    query = select(QuoteAudit.customer_id, QuoteAudit.inputs, QuoteAudit.adjustments, QuoteAudit.unit_price).where(
        QuoteAudit.at >= since, QuoteAudit.at < until
    )
    figures = segment_figures((r[0], r[1] or {}, r[2] or [], r[3]) for r in await session.execute(query))
    discounts = [f["mean_discount_percent"] for f in figures]
    return {
        "since": since.isoformat() + "Z",
        "until": until.isoformat() + "Z",
        "segment_features": list(SEGMENT_FEATURES),
        "segments": figures,
        # The widest gap in mean discount between two segments: the one number to watch.
        "max_discount_gap_percent": round(max(discounts) - min(discounts), 2) if discounts else 0.0,
    }


def write_csv(figures: list[dict[str, Any]], out: Any) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(figures)


async def _run(db_url: str, days: float, fmt: str) -> None:
    engine = make_engine(db_url)
    try:
        async with make_sessions(engine)() as session:
            until = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
            result = await report(session, until - timedelta(days=days), until)
    finally:
        await engine.dispose()
    if fmt == "csv":
        write_csv(result["segments"], sys.stdout)
    else:
        print(json.dumps(result, indent=2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Final prices and offers by customer segment.")
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default: PRICING_DB_URL or var/pricing.sqlite)")
    parser.add_argument("--days", type=float, default=30, help="the last N days of quotes (default 30)")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    args = parser.parse_args(argv)
    asyncio.run(_run(args.db or os.environ.get("PRICING_DB_URL") or default_db_url(), args.days, args.format))


if __name__ == "__main__":
    main()
