"""Demo history and scores: `python -m backends.retention.seed` (the launcher runs it on `make run`).

The demo shop has weeks of orders, not the years a churn model learns from, so this writes a
synthetic, deterministic history (labelled as such in the docs): a few hundred made-up customers
who buy at their own pace, some of whom stop — and in the weeks before they stop, some complain,
get handed to a person or go unanswered. The demo customers of the orders seed
(var/demo-orders.json) get one of two clear profiles, alternating: a valuable regular who has gone
quiet after trouble with support ("leaving"), and a steady buyer ("loyal"). Then it re-scores, so
the service has a score for every demo customer. Runs again without duplicating: events are only
written into an empty database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from backends.retention import features as feat
from backends.retention.db import create_tables, default_db_url, make_engine, make_sessions
from backends.retention.rescore import rescore
from backends.retention.service import RetentionService, parse_time, utcnow
from backends.retention.settings import Settings
from backends.retention.tables import CustomerEvent

logger = logging.getLogger(__name__)
SYNTHETIC_CUSTOMERS = 400
LEAVING, LOYAL = "leaving", "loyal"


def _purchases(
    rng: random.Random, customer: str, start: datetime, stop: datetime, gap_days: float, basket: float
) -> Iterator[feat.Event]:
    at = start
    while at < stop:
        yield feat.Event(customer, at, feat.PURCHASE, round(rng.lognormvariate(0, 0.4) * basket, 2))
        at += timedelta(days=rng.expovariate(1 / gap_days))


def _trouble(rng: random.Random, customer: str, before: datetime, chance: float) -> Iterator[feat.Event]:
    """Support contacts in the 60 days before `before`: likelier for customers about to leave."""
    for kind in (feat.CONVERSATION, feat.FRUSTRATION, feat.HANDOFF, feat.UNANSWERED):
        for _ in range(3):
            if rng.random() < chance:
                yield feat.Event(customer, before - timedelta(days=rng.uniform(1, 60)), kind)


def synthetic_customer(rng: random.Random, customer: str, now: datetime) -> list[feat.Event]:
    start = now - timedelta(days=rng.uniform(200, 560))
    gap, basket = rng.uniform(12, 110), rng.uniform(20, 120)
    leaves = rng.random() < 0.45
    stop = start + timedelta(days=rng.uniform(60, 600)) if leaves else now
    stop = min(stop, now)
    events = list(_purchases(rng, customer, start, stop, gap, basket))
    events += _trouble(rng, customer, stop, 0.35 if leaves else 0.05)
    events += [
        feat.Event(customer, e.at + timedelta(days=5), feat.RETURN, -e.amount) for e in events[:3] if rng.random() < 0.1
    ]
    return [e for e in events if e.at < now]


def profile_customer(rng: random.Random, customer: str, profile: str, now: datetime) -> list[feat.Event]:
    """A demo customer with a clear story (see the module docstring)."""
    if profile == LEAVING:
        stop = now - timedelta(days=75)
        events = list(_purchases(rng, customer, now - timedelta(days=420), stop, 14, 140))
        return events + list(_trouble(rng, customer, stop + timedelta(days=30), 0.9))
    return list(_purchases(rng, customer, now - timedelta(days=400), now - timedelta(days=3), 20, 60))


def demo_customers(index: Path) -> list[str]:
    """Customer ids of the orders seed's demo index, in a stable order; none when it is missing."""
    if not index.exists():
        return []
    data = json.loads(index.read_text())
    found = {
        entry["customer_id"]
        for group in ("statuses", "scenarios")
        for entries in data.get(group, {}).values()
        for entry in entries
        if entry.get("customer_id")
    }
    return sorted(found)


def history(seed: int, now: datetime, demo: list[str]) -> tuple[list[feat.Event], dict[str, str]]:
    rng = random.Random(seed)
    events: list[feat.Event] = []
    for number in range(SYNTHETIC_CUSTOMERS):
        events += synthetic_customer(rng, f"synthetic-{number:04d}", now)
    profiles = {customer: (LEAVING if i % 2 == 0 else LOYAL) for i, customer in enumerate(demo)}
    for customer, profile in profiles.items():
        events += profile_customer(rng, customer, profile, now)
    return events, profiles


async def seed(db_url: str, now: datetime, demo: list[str], seed_value: int = 7) -> dict[str, int]:
    settings = Settings.from_env()
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        sessions = make_sessions(engine)
        service = RetentionService(sessions, settings, lambda: now)
        async with sessions() as session:
            existing = int(await session.scalar(select(func.count()).select_from(CustomerEvent)) or 0)
        written = 0
        if existing == 0:
            events, _ = history(seed_value, now, demo)
            written = (await service.record_events(events))["recorded"]
        scored = await rescore(service, now, settings)
    finally:
        await engine.dispose()
    return {"events": written, "scored": scored}


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    var = Path(os.environ.get("ASSISTANT_VAR", "var"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("RETENTION_DB_URL") or default_db_url())
    parser.add_argument("--demo-index", type=Path, default=var / "demo-orders.json")
    parser.add_argument("--now", type=parse_time, default=None, help="pin the clock (ISO 8601, UTC)")
    args = parser.parse_args()
    result = asyncio.run(seed(args.db, args.now or utcnow(), demo_customers(args.demo_index)))
    print(f"retention demo: {result['events']} events written, {result['scored']} customers scored")


if __name__ == "__main__":
    main()
