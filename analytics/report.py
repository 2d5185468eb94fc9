"""The analytics report: every figure, the unanswered topics, the knowledge-base gaps and the plots.

One `Report` (analytics/contents.py) feeds both the desk page (`as_json`) and
`python -m analytics.report --out DIR`, the command for cron: it writes `index.html` (plots inline
as SVG, no script, no CDN) and one CSV per figure plus `topics.csv` and `gaps.csv`. Run weekly with
`--grain week --days 7` it is the weekly knowledge-base gaps report (docs/analytics.md)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analytics import plots
from analytics.contents import Report
from analytics.figures import figures, unanswered
from analytics.gaps import entries, find_gaps
from analytics.html import render
from analytics.settings import GRAINS, AnalyticsSettings, Grain, StoreUrls
from analytics.topics import Embedding, group
from analytics.warehouse import Warehouse
from catalogue_files.demo import load_demo_catalogue
from contracts.redaction import redact

MAX_UNANSWERED = 2_000  # distinct unanswered messages clustered (the most asked); clustering is quadratic


def build(
    warehouse: Warehouse, grain: Grain, since: datetime, embedding: Embedding, *, now: datetime | None = None
) -> Report:
    """Figures from the (refreshed) warehouse, then topics and gaps, then plots. CPU work: the desk
    runs it in a thread."""
    tables = figures(warehouse.db, grain, since)
    asked = unanswered(warehouse.db, since, MAX_UNANSWERED)
    # The shoppers' own words reach the page and the files: personal data masked first.
    topics = group([redact(text) for text in asked.column("text")], asked.column("times"), embedding)
    gaps = find_gaps(topics, entries(load_demo_catalogue().catalogue), embedding)
    drawn = {
        "conversations": plots.conversations(tables["conversations"]),
        "rates": plots.rates(tables["conversations"], tables["messages"]),
        "intents": plots.intents(tables["intents"]),
        "frustration": plots.frustration(tables["messages"]),
        "waiting": plots.waiting(tables["handoffs"]),
        "topics": plots.topics(topics),
        "coupons": plots.coupons(tables["coupons"]),
        "recommendations": plots.recommendations(tables["recommendations"]),
    }
    generated = now or datetime.now(UTC).replace(tzinfo=None)
    return Report(grain, since, generated, tables, topics, gaps, drawn)


def write(report: Report, out: Path) -> list[Path]:
    """index.html and the CSV files into `out` (created); returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "index.html"]
    written[0].write_text(render(report), encoding="utf-8")
    for name, table in report.csv_tables().items():
        path = out / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.columns)
            writer.writerows(table.rows)
        written.append(path)
    return written


async def run(out: Path, grain: Grain, days: int, embedding: Embedding, urls: StoreUrls) -> list[Path]:
    warehouse = Warehouse(urls)
    try:
        await warehouse.refresh()
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
        return write(build(warehouse, grain, since, embedding), out)
    finally:
        await warehouse.aclose()


def main(argv: list[str] | None = None) -> int:
    settings = AnalyticsSettings.from_env()
    parser = argparse.ArgumentParser(prog="python -m analytics.report", description="Write the analytics report.")
    parser.add_argument("--out", type=Path, required=True, help="directory for index.html and the CSV files")
    parser.add_argument("--grain", choices=GRAINS, default="day")
    parser.add_argument("--days", type=int, default=settings.days, help="how far back (ANALYTICS_DAYS)")
    parser.add_argument("--embedding", choices=("tfidf", "minilm"), default=settings.embedding)
    args = parser.parse_args(argv)
    written = asyncio.run(run(args.out, args.grain, args.days, args.embedding, StoreUrls.from_env()))
    print(f"wrote {len(written)} files to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
