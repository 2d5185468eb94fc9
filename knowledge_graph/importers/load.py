"""Parse a catalogue file of any supported format: the one entry point the service and CLI share."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from catalogue_files.result import ImportResult, TextSource
from catalogue_files.shopify_csv import parse_shopify_csv
from knowledge_graph.importers.feed import parse_feed, parse_feed_csv, parse_feed_jsonl

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


def parse_file(path: Path, kind: str | None = None, *, progress: bool = False) -> ImportResult:
    """`progress` shows a bar of bytes read (plain files; a .gz or a feed directory reads without one)."""
    kind = kind or guess_format(path)
    if kind not in FORMATS:
        raise ValueError(f"unknown catalogue format {kind!r}; expected one of {', '.join(FORMATS)}")
    if kind == "csv" and path.is_dir():
        return parse_feed(path)
    if not progress or path.suffix == ".gz":
        return PARSERS[kind](path)
    size = path.stat().st_size
    with (
        tqdm.wrapattr(path.open("rb"), "read", total=size, desc="read", unit="B", unit_scale=True) as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
    ):
        return PARSERS[kind](text)


PARSERS: dict[str, Callable[[TextSource], ImportResult]] = {
    "shopify": parse_shopify_csv,
    "jsonl": parse_feed_jsonl,
    "csv": parse_feed_csv,
}
