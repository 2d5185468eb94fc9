"""`python -m backends.recommendations.ab_report`: conversion rate per variant with 95 % intervals.

A shopper counts as exposed once they were shown a list, and as converted once they bought an item
a list showed them within the attribution window (purchase interactions or POST /conversions).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence

from backends.recommendations.ab import format_report, report
from backends.recommendations.db import create_tables, default_db_url, make_engine, make_sessions
from backends.recommendations.items import ItemCatalogue
from backends.recommendations.service import RecommendationService
from backends.recommendations.settings import Settings


async def variant_counts(db_url: str, experiment: str | None) -> dict[str, tuple[int, int]]:
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        service = RecommendationService(make_sessions(engine), ItemCatalogue([]), Settings.from_env())
        return await service.variant_counts(experiment)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("RECS_DB_URL") or default_db_url())
    parser.add_argument("--experiment", default=None, help="default: RECS_EXPERIMENT or recs-1")
    parser.add_argument("--control", default=None, help="default: the first configured variant")
    args = parser.parse_args(argv)
    counts = asyncio.run(variant_counts(args.db_url, args.experiment))
    if not counts:
        print("no exposures logged for this experiment yet")
        return 0
    print(format_report(report(counts, args.control)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
