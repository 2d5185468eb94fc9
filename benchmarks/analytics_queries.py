"""The analytics page's queries over many stored tracker events (issue 14's target: ≤ 1 s).

Generates `--events` Rasa tracker events (default 100 000 for a quick run; the issue's figure is
`--events 1000000`) as conversations of three messages over 28 days (tools/tracker_events.py: 30 %
with a question the bot cannot answer, 10 % handed off, 20 % rated) into a fresh SQLite tracker
store, with a desk ticket per hand-off, goodwill coupons, and a recommendation list per conversation
(20 % of them clicked, 5 % bought from), then times:

1. loading the stores into DuckDB (analytics/warehouse.py: SQLAlchemy → Arrow chunks → DuckDB, the
   JSON parsed by DuckDB) and deriving the conversation tables: what the desk does on its first
   page view and, for new events only, on each refresh;
2. the page's queries (analytics/figures.py: every figure per day and per week, and the unanswered
   messages), `--repeats` times each, median: this is what the target is about;
3. the whole report the page shows (queries + topics with TF-IDF + gaps + eight SVG plots).

    .venv-services/bin/python -m benchmarks.analytics_queries
    .venv-services/bin/python -m benchmarks.analytics_queries --events 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from analytics.figures import QUERIES, figure, unanswered  # noqa: E402
from analytics.report import MAX_UNANSWERED, build  # noqa: E402
from analytics.settings import GRAINS, StoreUrls  # noqa: E402
from analytics.warehouse import Warehouse  # noqa: E402
from backends.pricing.models import Base as PricingBase  # noqa: E402
from backends.pricing.models import GoodwillOffer  # noqa: E402
from backends.recommendations.tables import Base as RecommendationsBase  # noqa: E402
from backends.recommendations.tables import Conversion, RecList  # noqa: E402
from handoff.models import Base as HandoffBase  # noqa: E402
from handoff.models import Ticket  # noqa: E402
from tools.tracker_events import Mix, conversations, write  # noqa: E402

TARGET_S = 1.0
DAYS = 28
MIX = Mix(fallback=0.3, handoff=0.1, rated=0.2, turns=3)
EVENTS_PER_CONVERSATION = 14.3  # session start 2 + 3 turns x 4 + rating 0.2 + hand-off 0.1


def seed(folder: Path, events: int) -> tuple[int, int]:
    """The tracker store, one ticket per hand-off and a goodwill coupon per ten hand-offs; returns
    (events, conversations) written."""
    count = max(1, round(events / EVENTS_PER_CONVERSATION))
    start = datetime.now(UTC) - timedelta(days=DAYS)
    written = write(folder / "tracker.db", conversations(count, start.timestamp(), DAYS * 86400, mix=MIX))
    naive = start.replace(tzinfo=None)
    tickets = [
        {
            "conversation_id": f"c{number:07d}", "open_key": None, "channel": ("web", "app", "voice")[number % 3],
            "status": "closed", "priority": 2, "reason": ("frustration", "asked_for_person")[number % 2],
            "frustration": 0.5, "customer": {}, "order": None, "intent": None, "entities": [],
            "sentiment_history": [], "summary": "", "created_at": naive + timedelta(seconds=number * 60),
            "taken_at": naive + timedelta(seconds=number * 60 + 30 + number % 600), "closed_at": None,
            "external_refs": {},
        }
        for number in range(int(count * MIX.handoff))
    ]  # fmt: skip
    handoff = create_engine(f"sqlite:///{folder / 'handoff.sqlite'}")
    HandoffBase.metadata.create_all(handoff)
    with handoff.begin() as connection:
        connection.execute(insert(Ticket), tickets)
    handoff.dispose()
    pricing = create_engine(f"sqlite:///{folder / 'pricing.sqlite'}")
    PricingBase.metadata.create_all(pricing)
    offers = [
        {"customer_id": f"x{n}", "reason": "frustration", "order_number": None, "amount": Decimal(5),
         "coupon_code": f"GW{n}", "issued_at": naive + timedelta(hours=n)}
        for n in range(len(tickets) // 10)
    ]  # fmt: skip
    with pricing.begin() as connection:
        if offers:
            connection.execute(insert(GoodwillOffer), offers)
    pricing.dispose()
    seed_recommendations(folder, count, naive)
    return written, count


def seed_recommendations(folder: Path, count: int, start: datetime) -> None:
    """A list per conversation over the period; every 5th clicked, every 20th bought from ($40)."""
    lists = [
        {"id": n + 1, "customer_id": None, "conversation_id": f"{('app', 'web', 'voice')[n % 3]}-{n}",
         "experiment": "recs-1", "variant": "hybrid", "shown_at": start + timedelta(seconds=n * DAYS * 86400 // count),
         "personalised": n % 2 == 0}
        for n in range(count)
    ]  # fmt: skip
    conversions = [
        {"customer_id": f"x{n}", "product_id": "p", "list_id": n + 1, "experiment": "recs-1", "variant": "hybrid",
         "order_id": None, "kind": kind, "revenue": Decimal(40) if kind == "purchase" else None,
         "converted_at": start + timedelta(seconds=n * DAYS * 86400 // count + 600)}
        for n in range(count)
        for kind in (("click",) if n % 5 == 0 else ()) + (("purchase",) if n % 20 == 0 else ())
    ]  # fmt: skip
    engine = create_engine(f"sqlite:///{folder / 'recommendations.sqlite'}")
    RecommendationsBase.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(RecList), lists)
        if conversions:
            connection.execute(insert(Conversion), conversions)
    engine.dispose()


def timed(action: object, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def run(events: int, repeats: int) -> int:
    with tempfile.TemporaryDirectory(prefix="analytics-bench-") as name:
        folder = Path(name)
        started = time.perf_counter()
        written, count = seed(folder, events)
        print(f"seeded {written:,} tracker events in {count:,} conversations in {time.perf_counter() - started:.1f} s")
        warehouse = Warehouse(StoreUrls.from_env({"ASSISTANT_VAR": str(folder)}))
        try:
            started = time.perf_counter()
            await warehouse.refresh()
            print(f"load into DuckDB and derive: {time.perf_counter() - started:.2f} s")
            started = time.perf_counter()
            await warehouse.refresh()
            print(f"refresh with nothing new:    {time.perf_counter() - started:.2f} s")
            since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=DAYS + 1)
            print(f"\nthe page's queries, median of {repeats}:")
            worst = 0.0
            for grain in GRAINS:
                total = 0.0
                for name in QUERIES:
                    seconds = timed(lambda n=name, g=grain: figure(warehouse.db, n, g, since), repeats)
                    total += seconds
                    print(f"  {grain:<4} {name:<16} {seconds * 1000:8.1f} ms")
                seconds = timed(lambda: unanswered(warehouse.db, since, MAX_UNANSWERED), repeats)
                total += seconds
                print(f"  {grain:<4} {'unanswered':<16} {seconds * 1000:8.1f} ms")
                print(f"  {grain:<4} {'all queries':<16} {total * 1000:8.1f} ms")
                worst = max(worst, total)
            started = time.perf_counter()
            build(warehouse, "day", since, "tfidf")
            print(f"\nwhole page (queries, topics, gaps, plots): {time.perf_counter() - started:.2f} s")
        finally:
            await warehouse.aclose()
    verdict = "met" if worst <= TARGET_S else "MISSED"
    print(f"\ntarget: the page's queries ≤ {TARGET_S:.0f} s per view: {verdict} ({worst:.2f} s)")
    return 0 if worst <= TARGET_S else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="tracker events (the issue's figure: 1000000)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    return asyncio.run(run(args.events, args.repeats))


if __name__ == "__main__":
    raise SystemExit(main())
