"""Nightly re-scoring: `python -m backends.retention.rescore` (cron it; see docs/retention-backend.md).

Trains the churn model on the stack's own history — customers as they were at cuts 90, 120, 150
and 180 days ago, labelled by whether they bought in the 90 days after — then scores every customer
with a purchase as of now and replaces all scores in one transaction. Nothing is kept between
runs but the scores: each night learns from the latest outcomes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from datetime import datetime
from decimal import Decimal

from backends.retention import features as feat
from backends.retention.db import create_tables, default_db_url, make_engine, make_sessions
from backends.retention.scoring import ChurnModel, ModelSettings
from backends.retention.service import RetentionService, parse_time, utcnow
from backends.retention.settings import Settings
from backends.retention.tables import RiskScore
from backends.retention.tiers import tier

logger = logging.getLogger(__name__)
MODEL_NAME = "lightgbm+isotonic"


def score_customers(events: list[feat.Event], now: datetime, settings: Settings) -> list[RiskScore]:
    """Scores of every customer with a purchase before `now`; raises ValueError when the history is
    too short to learn from (the old scores then stay)."""
    grouped = feat.group_by_customer(events)
    rows, labels = feat.labelled_snapshots(grouped, feat.training_cuts(now - feat.RECENT))
    model = ChurnModel(ModelSettings(threads=settings.model_threads)).fit(rows, labels)
    customers = feat.active_customers(grouped, now)
    current = [feat.customer_features(grouped[c], now) for c in customers]
    scored = []
    for customer, row, score in zip(customers, current, model.score(current), strict=True):
        value = feat.value_at_stake(row)
        scored.append(
            RiskScore(
                customer_id=customer,
                risk=score.risk,
                value=Decimal(str(value)),
                tier=tier(score.risk, value, settings.thresholds),
                reasons=score.reasons,
                scored_at=now,
                model=MODEL_NAME,
            )
        )
    return scored


async def rescore(service: RetentionService, now: datetime, settings: Settings) -> int:
    scores = score_customers(await service.events(), now, settings)
    return await service.replace_scores(scores)


async def run(db_url: str, now: datetime, settings: Settings) -> int:
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        return await rescore(RetentionService(make_sessions(engine), settings, lambda: now), now, settings)
    finally:
        await engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("RETENTION_DB_URL") or default_db_url())
    parser.add_argument("--now", type=parse_time, default=None, help="score as of this time (ISO 8601, UTC)")
    args = parser.parse_args()
    try:
        count = asyncio.run(run(args.db, args.now or utcnow(), Settings.from_env()))
    except ValueError as error:
        raise SystemExit(f"retention: no re-scoring, the old scores stay: {error}") from None
    print(f"retention: scored {count} customers")


if __name__ == "__main__":
    main()
