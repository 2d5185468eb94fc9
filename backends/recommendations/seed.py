"""`python -m backends.recommendations.seed`: realistic demo interactions over the demo catalogue.

Shoppers have a persona (hiker, phone owner, city dresser) that decides which categories they
browse. A session views a few products of one category, sometimes adds one to the cart and often
buys it, and buyers of a product with accessories (cases, chargers) often buy one too. That gives
the CF models real co-purchase structure and leaves some "added but not bought" carts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select

from backends.recommendations.db import create_tables, default_db_url, make_engine, make_sessions
from backends.recommendations.demo import demo_items
from backends.recommendations.engine import Event
from backends.recommendations.items import ItemCatalogue
from backends.recommendations.service import utcnow
from backends.recommendations.tables import Interaction

PERSONAS: dict[str, tuple[str, ...]] = {
    "hiker": ("apparel-accessories/shoes", "apparel-accessories/clothing/outerwear", "sporting-goods", "luggage-bags"),
    "phone": ("electronics",),
    "city": ("apparel-accessories/clothing", "apparel-accessories/clothing-accessories"),
}


def demo_interactions(
    items: ItemCatalogue, customers: int = 300, seed: int = 7, now: datetime | None = None, days: int = 60
) -> list[Event]:
    """Deterministic for a seed; customer ids are DEMO-0001...; timestamps within the last `days` days."""
    rng = random.Random(seed)
    now = now or utcnow()
    by_persona = {
        name: [item.id for item in items.items if any((item.category_id or "").startswith(p) for p in prefixes)]
        for name, prefixes in PERSONAS.items()
    }
    # A fixed per-item appeal makes some products bestsellers (long-tail popularity).
    appeal = {item.id: rng.paretovariate(1.5) for item in items.items}
    events: list[Event] = []
    for number in range(1, customers + 1):
        customer = f"DEMO-{number:04d}"
        persona = rng.choices(list(PERSONAS), weights=(0.45, 0.3, 0.25))[0]
        pool = by_persona[persona] or [item.id for item in items.items]
        moment = now - timedelta(days=rng.uniform(1, days))
        for _ in range(rng.randint(1, 5)):
            anchor = rng.choices(pool, weights=[appeal[p] for p in pool])[0]
            browsed = {anchor, *rng.sample(pool, k=min(len(pool), rng.randint(0, 3)))}
            for product in sorted(browsed):
                moment += timedelta(minutes=rng.uniform(0.5, 5))
                events.append(Event(customer, product, "view", moment))
            if rng.random() < 0.5:
                moment += timedelta(minutes=rng.uniform(1, 10))
                events.append(Event(customer, anchor, "add_to_cart", moment))
                if rng.random() < 0.65:
                    moment += timedelta(minutes=rng.uniform(1, 30))
                    events.append(Event(customer, anchor, "purchase", moment))
                    extras = items.accessories.get(anchor, [])
                    if extras and rng.random() < 0.6:
                        events.append(Event(customer, rng.choice(extras), "purchase", moment))
                    if rng.random() < 0.2:
                        rating = float(rng.choices([2, 3, 4, 5], weights=(1, 2, 4, 4))[0])
                        events.append(Event(customer, anchor, "rating", moment + timedelta(days=3), rating))
            moment += timedelta(days=rng.uniform(0.5, 10))
            if moment > now:
                break
    return [e for e in events if e.occurred_at <= now]


async def write(db_url: str, events: Sequence[Event], *, if_empty: bool = False) -> bool:
    """Writes the events; with `if_empty`, only into an empty log (so re-running setup adds nothing)."""
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        async with make_sessions(engine)() as session, session.begin():
            if if_empty and await session.scalar(select(func.count()).select_from(Interaction)):
                return False
            session.add_all(
                Interaction(
                    customer_id=e.customer_id,
                    product_id=e.product_id,
                    kind=e.kind,
                    rating=e.rating,
                    occurred_at=e.occurred_at,
                )
                for e in events
            )
        return True
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("RECS_DB_URL") or default_db_url())
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--if-empty", action="store_true", help="do nothing if the log already has interactions")
    args = parser.parse_args(argv)
    events = demo_interactions(demo_items(), args.customers, args.seed)
    if asyncio.run(write(args.db_url, events, if_empty=args.if_empty)):
        print(f"wrote {len(events)} interactions of {args.customers} demo customers to {args.db_url}")
    else:
        print(f"interaction log at {args.db_url} is not empty: no demo interactions added")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
