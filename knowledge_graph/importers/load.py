"""Parse a catalogue file of any supported format: the one entry point the service and CLI share."""

from __future__ import annotations

from pathlib import Path

from knowledge_graph.importers.feed import parse_feed, parse_feed_csv, parse_feed_jsonl
from knowledge_graph.importers.result import ImportResult
from knowledge_graph.importers.shopify_csv import parse_shopify_csv

# format name -> file suffix of an upload
FORMATS = {"shopify": "csv", "jsonl": "jsonl", "csv": "csv"}


def guess_format(path: Path) -> str:
    """Shopify exports are CSV with a `Handle` column; `.jsonl` (or `.jsonl.gz`) is the feed."""
    if path.is_dir():
        return "csv"  # the feed's CSV form: products.csv, links.csv, policies.csv
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        return "jsonl"
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    return "shopify" if "handle" in header.lower().split(",")[0] else "csv"


def parse_file(path: Path, kind: str | None = None) -> ImportResult:
    kind = kind or guess_format(path)
    if kind == "shopify":
        return parse_shopify_csv(path)
    if kind == "jsonl":
        return parse_feed_jsonl(path)
    if kind == "csv":
        return parse_feed(path) if path.is_dir() else parse_feed_csv(path)
    raise ValueError(f"unknown catalogue format {kind!r}; expected one of {', '.join(FORMATS)}")
