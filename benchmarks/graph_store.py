"""The product graph on the embedded store (LadybugDB) and on a real Neo4j 5.26, side by side in one run.

1. the catalogue is generated once (`generate_catalogue`, default 50,000 products / ~200,000
   variants, seeded);
2. per backend, one after the other (they share the machine's cores): a fresh, empty store
   (embedded: a file in a temporary directory; Neo4j: `running_neo4j()` on a free port, cleared),
   `ensure_schema()`, then timed:
   - the import: `write_catalogue()` of the whole catalogue;
   - a re-import of the same catalogue with new prices and stock for ~10% of the products (an
     incremental update), checking that node counts and edge counts did not grow and that a
     changed price is read back;
3. query latency, `--calls` calls of each query after `--warmup` calls, the four queries
   interleaved call by call, with the same seeded random arguments on every backend:
   - `product(id)`: product, variants, attributes and categories (4 queries);
   - `related(id, "SIMILAR_TO")`;
   - `related(phone_id, "COMPATIBLE_WITH", incoming=True)`: accessories that fit a phone;
   - `list_products(category=<random leaf>, max_price=100, in_stock_only=True, limit=10)`;
4. RSS of this process (the embedded store lives in it) and of the Neo4j JVM, and the size of
   each database on disk.

Targets are printed next to the numbers, not asserted: embedded import <= 60 s, `product(id)` p95
<= 5 ms embedded and <= 20 ms on Neo4j.

    python -m benchmarks.graph_store
    python -m benchmarks.graph_store --products 2000 --backends embedded --markdown
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from contracts.catalogue import Catalogue, Product, ProductFilter  # noqa: E402
from knowledge_graph.embedded_store import EmbeddedGraphStore  # noqa: E402
from knowledge_graph.neo4j_store import Neo4jGraphStore, Neo4jSettings  # noqa: E402
from knowledge_graph.store import GraphStore, WriteReport  # noqa: E402
from tools.catalogue_generator import generate_catalogue  # noqa: E402

BACKENDS = ("embedded", "neo4j")
IMPORT_TARGET_S = {"embedded": 60.0}
PRODUCT_P95_TARGET_MS = {"embedded": 5.0, "neo4j": 20.0}
QUERIES = ("product", "similar", "compatible", "list")
QUERY_LABELS = {
    "product": "product(id), full lookup",
    "similar": "related(id, SIMILAR_TO)",
    "compatible": "related(phone, COMPATIBLE_WITH, incoming)",
    "list": "list_products(leaf, <= 100, in stock, 10)",
}
MIB = 2**20


# --------------------------------------------------------------------------- workload


@dataclass(frozen=True)
class Workload:
    """Arguments of every call, drawn once from the seed so each backend gets the same ones."""

    product_ids: list[str]
    phone_ids: list[str]
    leaves: list[str]


def make_workload(catalogue: Catalogue, calls: int, seed: int) -> Workload:
    rng = random.Random(seed)
    ids = [p.id for p in catalogue.products]
    phones = sorted(
        {link.target_id for link in catalogue.links if link.kind == "COMPATIBLE_WITH"}
        & {p.id for p in catalogue.products if (p.category_id or "").endswith("/smartphones")}
    )
    leaves = sorted({p.category_id for p in catalogue.products if p.category_id})
    if not phones:
        raise SystemExit("the catalogue has no phone with compatible accessories: use more --products")
    return Workload(
        product_ids=[rng.choice(ids) for _ in range(calls)],
        phone_ids=[rng.choice(phones) for _ in range(calls)],
        leaves=[rng.choice(leaves) for _ in range(calls)],
    )


def query_calls(store: GraphStore, work: Workload) -> dict[str, Callable[[int], Awaitable[object]]]:
    """Query name -> the i-th call of that query."""
    return {
        "product": lambda i: store.product(work.product_ids[i]),
        "similar": lambda i: store.related(work.product_ids[i], "SIMILAR_TO"),
        "compatible": lambda i: store.related(work.phone_ids[i], "COMPATIBLE_WITH", incoming=True),
        "list": lambda i: store.list_products(
            ProductFilter(category=work.leaves[i], max_price=100.0, in_stock_only=True), limit=10
        ),
    }


def with_new_prices(catalogue: Catalogue, share: float, seed: int) -> tuple[Catalogue, Product]:
    """The same catalogue with prices (+-20%) and stock changed for `share` of the products."""
    rng = random.Random(seed + 1)
    chosen = set(rng.sample(range(len(catalogue.products)), max(1, round(len(catalogue.products) * share))))
    products = list(catalogue.products)
    for index in chosen:
        product = products[index]
        variants = tuple(
            replace(v, price=round(v.price * rng.uniform(0.8, 1.2) + 0.01, 2), stock=rng.randint(0, 40))
            for v in product.variants
        )
        products[index] = replace(product, variants=variants)
    return replace(catalogue, products=products), products[min(chosen)]


# --------------------------------------------------------------------------- measurement


@dataclass
class BackendResult:
    name: str
    import_s: float = math.nan
    reimport_s: float = math.nan
    nodes: int = 0
    edges: int = 0
    stable: bool = False  # counts unchanged by the re-import and the new price read back
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    process_rss_mib: float = math.nan
    server_rss_mib: float = math.nan
    disk_mib: float = math.nan


def percentile(values: Sequence[float], q: float) -> float:
    """Percentile with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rss_mib(pid: int | None = None) -> float:
    return psutil.Process(pid).memory_info().rss / MIB


def disk_mib(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / MIB


def edge_total(report: WriteReport) -> int:
    return sum(report.edges.values())


async def measure(
    store: GraphStore, catalogue: Catalogue, updated: Catalogue, changed: Product, work: Workload, warmup: int
) -> BackendResult:
    """Import, re-import and query latency on an empty store with its schema in place."""
    result = BackendResult(store.name)
    started = time.perf_counter()
    first = await store.write_catalogue(catalogue)
    result.import_s = time.perf_counter() - started
    counts = await store.counts()
    print(f"[{store.name}] import {result.import_s:.1f} s: {counts}", file=sys.stderr)

    started = time.perf_counter()
    second = await store.write_catalogue(updated)
    result.reimport_s = time.perf_counter() - started
    found = await store.product(changed.id)
    price_seen = found is not None and [v.price for v in found.variants] == [v.price for v in changed.variants]
    result.stable = await store.counts() == counts and edge_total(second) == edge_total(first) and price_seen
    result.nodes, result.edges = sum(counts.values()), edge_total(first)
    print(f"[{store.name}] re-import {result.reimport_s:.1f} s, stable: {result.stable}", file=sys.stderr)

    calls = query_calls(store, work)
    for i in range(warmup):
        for call in calls.values():
            await call(len(work.product_ids) - 1 - i)
    series: dict[str, list[float]] = {name: [] for name in QUERIES}
    for i in range(len(work.product_ids) - warmup):
        for name, call in calls.items():
            t0 = time.perf_counter()
            await call(i)
            series[name].append((time.perf_counter() - t0) * 1000)
    result.latency_ms = series
    result.process_rss_mib = rss_mib()
    return result


@asynccontextmanager
async def fresh_store(backend: str, result_extra: dict[str, Any]) -> AsyncIterator[GraphStore]:
    """An empty store with its schema; `result_extra` gets the server pid and the data directory."""
    if backend == "embedded":
        with tempfile.TemporaryDirectory(prefix="graph-bench-") as directory:
            path = Path(directory) / "catalogue.lbdb"
            store: GraphStore = EmbeddedGraphStore(path)
            result_extra["data"] = path
            try:
                await store.ensure_schema()
                yield store
            finally:
                await store.close()
        return
    from tests.support.neo4j import running_neo4j

    with running_neo4j() as server:
        store = Neo4jGraphStore(Neo4jSettings(uri=server.uri))
        result_extra.update(pid=server.pid, data=server.data_dir)
        try:
            await store.clear()
            await store.ensure_schema()
            yield store
        finally:
            await store.close()


async def run_backend(
    backend: str, catalogue: Catalogue, updated: Catalogue, changed: Product, work: Workload, warmup: int
) -> BackendResult:
    extra: dict[str, Any] = {}
    async with fresh_store(backend, extra) as store:
        result = await measure(store, catalogue, updated, changed, work, warmup)
        result.disk_mib = disk_mib(extra["data"])
        if "pid" in extra:
            result.server_rss_mib = rss_mib(extra["pid"])
    return result


async def run_all(backends: list[str], catalogue: Catalogue, args: argparse.Namespace) -> list[BackendResult]:
    updated, changed = with_new_prices(catalogue, args.changed_share, args.seed)
    work = make_workload(catalogue, args.calls + args.warmup, args.seed)
    return [await run_backend(b, catalogue, updated, changed, work, args.warmup) for b in backends]


# --------------------------------------------------------------------------- output


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _target(result: BackendResult, value: float, targets: dict[str, float], unit: str) -> str:
    limit = targets.get(result.name)
    if limit is None:
        return "-"
    return f"{'yes' if value <= limit else 'NO'} (<= {limit:g} {unit})"


def table_rows(results: list[BackendResult]) -> list[list[str]]:
    rows = [
        ["import, s", *(f"{r.import_s:.1f}" for r in results)],
        ["import target", *(_target(r, r.import_s, IMPORT_TARGET_S, "s") for r in results)],
        ["re-import, ~10% changed, s", *(f"{r.reimport_s:.1f}" for r in results)],
        ["nodes / edges", *(f"{r.nodes:,} / {r.edges:,}" for r in results)],
        ["re-import: counts unchanged, price updated", *("yes" if r.stable else "NO" for r in results)],
    ]
    for name in QUERIES:
        cells = []
        for r in results:
            values = r.latency_ms[name]
            cells.append(" / ".join(_ms(percentile(values, q)) for q in (50, 95, 99, 100)))
        rows.append([f"{QUERY_LABELS[name]}: p50/p95/p99/max ms", *cells])
    rows += [
        [
            "product(id) p95 target",
            *(_target(r, percentile(r.latency_ms["product"], 95), PRODUCT_P95_TARGET_MS, "ms") for r in results),
        ],
        ["benchmark process RSS, MiB", *(f"{r.process_rss_mib:.0f}" for r in results)],
        ["Neo4j JVM RSS, MiB", *("-" if math.isnan(r.server_rss_mib) else f"{r.server_rss_mib:.0f}" for r in results)],
        ["database on disk, MiB", *(f"{r.disk_mib:.0f}" for r in results)],
    ]
    return rows


def render_table(results: list[BackendResult], markdown: bool) -> str:
    """The side-by-side table (one column per backend) as plain text or Markdown."""
    header = ["metric", *(r.name for r in results)]
    rows = table_rows(results)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * len(results)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=False)]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False)))
        for r in [header, *rows]
    )


# --------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--products", type=int, default=50_000, help="products in the generated catalogue")
    p.add_argument("--seed", type=int, default=7, help="catalogue and query arguments")
    p.add_argument("--backends", default="embedded,neo4j", help="comma-separated, from: " + ", ".join(BACKENDS))
    p.add_argument("--calls", type=int, default=1000, help="measured calls of each query")
    p.add_argument("--warmup", type=int, default=100, help="calls of each query before measuring")
    p.add_argument("--changed-share", type=float, default=0.1, help="share of products the re-import changes")
    p.add_argument("--json", type=Path, default=None, help="write the raw results here")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)  # "label does not exist yet" on import
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - set(BACKENDS):
        raise SystemExit(f"--backends: unknown {', '.join(sorted(unknown))}; expected {', '.join(BACKENDS)}")
    started = time.perf_counter()
    catalogue = generate_catalogue(args.products, args.seed)
    generate_s = time.perf_counter() - started
    print(f"catalogue generated in {generate_s:.1f} s", file=sys.stderr)
    load_before = os.getloadavg()[0]
    results = asyncio.run(run_all(backends, catalogue, args))
    print(
        f"catalogue: {len(catalogue.products):,} products, {catalogue.variant_count():,} variants, "
        f"{len(catalogue.links):,} links, {len(catalogue.categories)} categories (seed {args.seed}), "
        f"generated in {generate_s:.1f} s; {args.calls} calls per query after {args.warmup} warm-up, "
        f"interleaved; re-import changes {args.changed_share:.0%} of products; "
        f"load average 1 min {load_before:.2f} -> {os.getloadavg()[0]:.2f}"
    )
    print(render_table(results, args.markdown))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
