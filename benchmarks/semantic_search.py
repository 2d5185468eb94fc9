"""Semantic product search latency at catalogue scale: SemanticIndex over N synthetic products.

1. N synthetic product texts (default 50,000) from a few word lists, seeded; their embeddings are
   encoded once with the encoder `--encoder` names (knowledge_graph/product_encoder.py: onnx-int8,
   the default, or torch) and cached in var/bench-cache/ (keyed by encoder, N, seed and generator
   version). When it encodes (first run, or `--no-cache`: the cost of indexing N new products),
   it prints the encoding throughput with `--encode-threads` threads.
2. The index is built from those vectors (`upsert(..., vectors=...)`), saved and loaded once.
3. For each thread count (`--threads 1,2`, side by side in one run): ~200 varied shopper queries,
   each timed as
   - `search()` end to end (query encoding included), without and with filters;
   - query encoding alone;
   - faiss alone (`search_vector` on the encoded query), without filters and with filters, once
     with the IDSelectorBitmap strategy the index uses and once with oversample-then-mask, so the
     choice between them stays measured.
   Filters cycle through price, top-level and leaf category, brand, in-stock and combinations.

    python benchmarks/semantic_search.py
    python benchmarks/semantic_search.py --n 10000 --queries 100 --threads 1 --markdown
    python benchmarks/semantic_search.py --encoder torch --no-cache --queries 50   # the float32 reference
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from knowledge_graph.product_encoder import ProductEncoder, load_encoder  # noqa: E402
from knowledge_graph.semantic_search import IndexItem, SemanticIndex, configure_threads  # noqa: E402

VAR_DIR = Path(os.environ.get("ASSISTANT_VAR", REPO_ROOT / "var"))
CACHE_DIR = VAR_DIR / "bench-cache"
GENERATOR_VERSION = 1  # bump when the synthetic texts change, so cached embeddings are not reused

# --------------------------------------------------------------------------- synthetic catalogue

CATEGORIES: dict[str, dict[str, list[str]]] = {
    "apparel": {
        "outerwear": ["jacket", "parka", "fleece", "vest", "raincoat"],
        "shirts": ["shirt", "t-shirt", "polo", "blouse"],
        "trousers": ["jeans", "chinos", "shorts", "leggings"],
        "accessories": ["beanie", "scarf", "gloves", "cap", "belt"],
    },
    "footwear": {
        "running": ["running shoes", "trail runners"],
        "boots": ["hiking boots", "winter boots", "chelsea boots"],
        "casual": ["sneakers", "sandals", "loafers"],
    },
    "electronics": {
        "phone-accessories": ["phone case", "screen protector", "charger", "power bank", "usb-c cable"],
        "audio": ["earbuds", "headphones", "bluetooth speaker"],
        "computing": ["keyboard", "mouse", "monitor stand", "usb hub"],
    },
    "home": {
        "kitchen": ["kettle", "toaster", "frying pan", "chef's knife", "coffee grinder", "french press"],
        "bedding": ["duvet", "pillow", "sheet set", "blanket"],
        "decor": ["table lamp", "vase", "picture frame", "scented candle"],
    },
    "outdoor": {
        "camping": ["tent", "sleeping bag", "camping stove", "lantern"],
        "hiking": ["backpack", "trekking poles", "water bottle"],
        "garden": ["garden hose", "planter", "pruning shears"],
    },
    "sports": {
        "fitness": ["yoga mat", "dumbbells", "resistance bands"],
        "cycling": ["bike helmet", "bike light", "cycling jersey"],
    },
    "beauty": {
        "skincare": ["moisturiser", "sunscreen", "face wash"],
        "hair": ["shampoo", "hair dryer", "wide-tooth comb"],
    },
    "toys": {
        "games": ["board game", "jigsaw puzzle", "card game"],
        "kids": ["building blocks", "plush toy", "toy car"],
    },
}
BASE_PRICE = {
    "apparel": 45,
    "footwear": 80,
    "electronics": 40,
    "home": 35,
    "outdoor": 60,
    "sports": 30,
    "beauty": 15,
    "toys": 25,
}


def _words(text: str, sep: str | None = None) -> list[str]:
    return [w.strip() for w in text.split(sep) if w.strip()]


ADJECTIVES = _words(
    """lightweight warm waterproof compact durable soft classic premium slim rugged cozy breathable wireless
    portable insulated organic vintage modern ergonomic packable"""
)
MATERIALS = _words(
    "cotton|wool|merino|linen|polyester|nylon|leather|stainless steel|bamboo|silicone|recycled plastic|aluminium|"
    "glass|ceramic|oak",
    "|",
)
COLOURS = _words("black white navy red green grey beige blue olive pink")
USES = _words(
    "hiking|travel|the office|the beach|winter|running|camping|everyday use|gifts|the kitchen|kids|gaming|"
    "sleep|yoga|commuting",
    "|",
)
BRAND_PARTS = (
    _words("North Blue Iron Sun Wild Urban Terra Nova Peak River"),
    _words("peak line works craft wave field"),
)
BRANDS = [a + b for a in BRAND_PARTS[0] for b in BRAND_PARTS[1]]
QUERY_TEMPLATES = (
    "something {adj} for {use}",
    "{colour} {noun}",
    "{adj} {noun} for {use}",
    "a gift for someone who loves {use}",
    "{noun} made of {material}",
    "i need a {noun}",
    "{adj} {colour} {noun}",
    "what do you have for {use}",
    "best {noun} for {use}",
    "{material} {noun}",
)


@dataclass(frozen=True)
class Synthetic:
    """One synthetic product: its IndexItem and the leaf category it came from."""

    item: IndexItem
    top: str
    leaf: str


def leaves() -> list[tuple[str, str, list[str]]]:
    return [(top, leaf, nouns) for top, subs in CATEGORIES.items() for leaf, nouns in subs.items()]


def make_products(n: int, seed: int) -> list[Synthetic]:
    """N products with texts shaped like `product_text` output (title, description, labels, brand)."""
    rng = random.Random(seed)
    all_leaves = leaves()
    out = []
    for i in range(n):
        top, leaf, nouns = rng.choice(all_leaves)
        noun, adj, adj2 = rng.choice(nouns), rng.choice(ADJECTIVES), rng.choice(ADJECTIVES)
        material, colour, brand = rng.choice(MATERIALS), rng.choice(COLOURS), rng.choice(BRANDS)
        use, use2 = rng.sample(USES, 2)
        text = (
            f"{brand} {adj.title()} {colour.title()} {noun.title()}. {adj2.capitalize()} {noun} made of {material}, "
            f"ideal for {use} and {use2}. {top} {leaf.replace('-', ' ')}. material {material}, colour {colour}. "
            f"{use}, {adj2}. by {brand}"
        )
        price = round(rng.lognormvariate(math.log(BASE_PRICE[top]), 0.6), 2)
        item = IndexItem(
            product_id=f"p{i:06d}",
            text=text,
            min_price=price,
            category_path=(top, f"{top}/{leaf}"),
            brand=brand,
            in_stock=rng.random() < 0.85,
        )
        out.append(Synthetic(item, top, leaf))
    return out


def make_queries(count: int, seed: int) -> list[str]:
    """Varied shopper phrasings from templates and the same word lists."""
    rng = random.Random(seed + 1)
    nouns = [noun for _, _, ns in leaves() for noun in ns]
    queries = []
    for i in range(count):
        template = QUERY_TEMPLATES[i % len(QUERY_TEMPLATES)]
        queries.append(
            template.format(
                adj=rng.choice(ADJECTIVES),
                use=rng.choice(USES),
                colour=rng.choice(COLOURS),
                noun=rng.choice(nouns),
                material=rng.choice(MATERIALS),
            )
        )
    return queries


FILTER_SETS: list[tuple[str, dict[str, Any]]] = [
    ("price <= 40", {"max_price": 40.0}),
    ("top category", {"category": "apparel"}),
    ("leaf category", {"category": "home/kitchen"}),
    ("brand", {"brand": "Northpeak"}),
    ("in stock", {"in_stock_only": True}),
    ("20 <= price <= 80, in stock", {"min_price": 20.0, "max_price": 80.0, "in_stock_only": True}),
    ("top category, price <= 100", {"category": "outdoor", "max_price": 100.0}),
    ("leaf category, brand", {"category": "electronics/audio", "brand": "Sunwave"}),
]


# --------------------------------------------------------------------------- embeddings cache


def cache_path(encoder_name: str, n: int, seed: int) -> Path:
    model = re.sub(r"[^0-9A-Za-z.]+", "-", encoder_name.rsplit("/", 1)[-1])
    return CACHE_DIR / f"semantic-{model}-n{n}-seed{seed}-v{GENERATOR_VERSION}.npy"


def product_vectors(
    products: Sequence[Synthetic], encoder: ProductEncoder, seed: int, use_cache: bool
) -> tuple[np.ndarray, dict[str, Any]]:
    """Embeddings of the product texts, from the cache or encoded now (and then cached)."""
    path = cache_path(encoder.name, len(products), seed)
    if use_cache and path.exists():
        vectors = np.load(path)
        if vectors.shape == (len(products), encoder.dimension):
            print(f"embeddings: cached {path.relative_to(REPO_ROOT)}", file=sys.stderr)
            return vectors, {"source": "cache", "path": str(path)}
    texts = [p.item.text for p in products]
    print(f"embeddings: encoding {len(texts)} texts with {encoder.bulk_threads} thread(s) ...", file=sys.stderr)
    started = time.perf_counter()
    chunks = []
    for start in range(0, len(texts), 2048):
        chunks.append(encoder.encode(texts[start : start + 2048]))
        done = start + len(chunks[-1])
        rate = done / (time.perf_counter() - started)
        print(f"  {done}/{len(texts)}  {rate:.0f} texts/s", file=sys.stderr)
    seconds = time.perf_counter() - started
    vectors = np.concatenate(chunks)
    words = sum(len(t.split()) for t in texts) / len(texts)
    info = {
        "source": "encoded",
        "seconds": seconds,
        "texts_per_s": len(texts) / seconds,
        "threads": encoder.bulk_threads,
        "batch_size": encoder.batch_size,
        "mean_words": words,
    }
    print(
        f"encoding throughput: {info['texts_per_s']:.0f} texts/s ({len(texts)} texts, mean {words:.0f} words, "
        f"batch {encoder.batch_size}, {encoder.bulk_threads} thread(s), {seconds:.0f} s, {encoder.name})"
    )
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp.npy")
        np.save(temporary, vectors)
        os.replace(temporary, path)
    return vectors, info


# --------------------------------------------------------------------------- measurement


def timed(fn: Callable[[], object]) -> float:
    """Milliseconds one call takes."""
    started = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - started) / 1e6


def summary(values: Sequence[float]) -> dict[str, float]:
    """p50/p95/max (linear interpolation between ranks, as in benchmarks/turn_latency/stats.py)."""
    if not values:
        return {"n": 0, "p50": math.nan, "p95": math.nan, "max": math.nan}
    array = np.asarray(values)
    return {
        "n": len(values),
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
        "max": float(array.max()),
    }


SERIES = ("encode", "search", "search_filtered", "faiss", "faiss_selector", "faiss_oversample")


def empty_series() -> dict[str, Any]:
    return {
        "series": {name: [] for name in SERIES},
        "per_filter": {name: {"selector": [], "oversample": []} for name, _ in FILTER_SETS},
    }


def end_to_end_search(index: SemanticIndex) -> Callable[..., object]:
    """The call the "search()" rows time, `(query, k, **filters)`: today the semantic index's search.

    HOOK for the hybrid search of issue 13: when the lexical index, fusion and query understanding
    are in, return here the call the graph service makes for /search, so that the p95 includes them.
    """
    return index.search


def use_threads(encoder: ProductEncoder, threads: int) -> None:
    """faiss and torch keep one process-wide thread count; the ONNX encoder picks a session by it."""
    configure_threads(threads)
    encoder.threads = threads


def measure_query(
    index: SemanticIndex, encoder: ProductEncoder, query: str, vector: np.ndarray, k: int, cycle: int, out: dict
) -> None:
    """Every timing for one query at the current thread count, appended to `out`."""
    series, per_filter = out["series"], out["per_filter"]
    filter_name, kwargs = FILTER_SETS[cycle % len(FILTER_SETS)]
    search = end_to_end_search(index)
    series["encode"].append(timed(lambda: encoder.encode([query])))
    series["search"].append(timed(lambda: search(query, k)))
    series["search_filtered"].append(timed(lambda: search(query, k, **kwargs)))
    series["faiss"].append(timed(lambda: index.search_vector(vector, k)))
    for name, kw in FILTER_SETS:  # every filter set, for the selector-vs-oversample rows
        for strategy in ("selector", "oversample"):
            ms = timed(lambda kw=kw, s=strategy: index.search_vector(vector, k, strategy=s, **kw))
            per_filter[name][strategy].append(ms)
            if name == filter_name:
                series[f"faiss_{strategy}"].append(ms)


def measure(
    index: SemanticIndex, encoder: ProductEncoder, queries: list[str], thread_counts: list[int], k: int
) -> list[dict[str, Any]]:
    """All latency series per thread count; thread counts alternate query by query so that load
    from other processes on a shared machine falls on all of them alike."""
    raw = {threads: empty_series() for threads in thread_counts}
    for threads in thread_counts:  # warm-up: first calls allocate buffers and thread pools
        use_threads(encoder, threads)
        for query in queries[:10]:
            index.search(query, k)
            index.search(query, k, **FILTER_SETS[0][1])
    vectors = encoder.encode(queries)
    for i, (query, vector) in enumerate(zip(queries, vectors, strict=True)):
        for threads in thread_counts:
            use_threads(encoder, threads)
            measure_query(index, encoder, query, vector, k, i, raw[threads])
        if (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(queries)} queries", file=sys.stderr)
    return [
        {
            "threads": threads,
            "series": {name: summary(values) for name, values in raw[threads]["series"].items()},
            "per_filter": {
                name: {strategy: summary(values) for strategy, values in strategies.items()}
                for name, strategies in raw[threads]["per_filter"].items()
            },
        }
        for threads in thread_counts
    ]


def selectivity(index: SemanticIndex) -> dict[str, float]:
    """Fraction of products each filter set keeps."""
    return {name: index.count(**kw) / len(index) for name, kw in FILTER_SETS}


# --------------------------------------------------------------------------- output


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _triple(s: dict[str, float]) -> str:
    return f"{_ms(s['p50'])} / {_ms(s['p95'])} / {_ms(s['max'])}"


SERIES_LABELS = [
    ("search", "search() no filter, p50/p95/max ms"),
    ("search_filtered", "search() filtered, p50/p95/max ms"),
    ("encode", "query encoding only, p50/p95/max ms"),
    ("faiss", "faiss only, no filter, p50/p95/max ms"),
    ("faiss_selector", "faiss only, filtered (selector), p50/p95/max ms"),
    ("faiss_oversample", "faiss only, filtered (oversample), p50/p95/max ms"),
]


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    runs = report["runs"]
    for key, label in SERIES_LABELS:
        rows.append([label, *(_triple(r["series"][key]) for r in runs)])
    for name, _ in FILTER_SETS:
        share = report["selectivity"][name]
        rows.append(
            [
                f"faiss p50 selector / oversample ms: {name} ({share:.1%})",
                *(
                    f"{_ms(r['per_filter'][name]['selector']['p50'])} / "
                    f"{_ms(r['per_filter'][name]['oversample']['p50'])}"
                    for r in runs
                ),
            ]
        )
    return rows


def render_table(report: dict[str, Any], markdown: bool) -> str:
    """The side-by-side table (one column per thread count) as plain text or Markdown."""
    header = ["metric", *(f"threads={r['threads']}" for r in report["runs"])]
    rows = table_rows(report)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * len(report["runs"])]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=False)]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False)))
        for r in [header, *rows]
    )


def describe(report: dict[str, Any]) -> str:
    """What was measured, in a few lines."""
    opts, build = report["options"], report["build"]
    embed = report["embeddings"]
    source = (
        "embeddings from cache"
        if embed["source"] == "cache"
        else f"embeddings encoded at {embed['texts_per_s']:.0f} texts/s ({embed['threads']} thread(s))"
    )
    return "\n".join(
        [
            f"{opts['n']} synthetic products (seed {opts['seed']}), encoder {opts['encoder']}, {source}; "
            f"model load {build['model_load_s']:.1f} s",
            f"index build {build['build_s']:.1f} s, save {build['save_s']:.2f} s, load {build['load_s']:.2f} s, "
            f"{build['index_mib']:.0f} MiB of vectors, peak RSS {build['peak_rss_mib']:.0f} MiB",
            f"{opts['queries']} queries, k={opts['k']}, filters cycle through {len(FILTER_SETS)} sets; "
            f"thread counts alternate per query; per-filter rows run every set for every query; "
            f"load average 1 min {report['loadavg_1min'][0]:.2f} -> {report['loadavg_1min'][1]:.2f}",
        ]
    )


# --------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=50_000, help="synthetic products in the index")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threads", default="1,2", help="thread counts to compare, comma-separated")
    p.add_argument("--encoder", choices=("onnx-int8", "torch"), default="onnx-int8", help="product encoder form")
    p.add_argument("--encode-threads", type=int, default=None, help="threads for encoding the catalogue")
    p.add_argument("--no-cache", action="store_true", help="encode the catalogue even if cached, don't cache")
    p.add_argument("--json", type=Path, default=None, help="write the full report here")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    thread_counts = [int(t) for t in args.threads.split(",") if t.strip()]
    encoder = load_encoder(args.encoder, threads=1, bulk_threads=args.encode_threads or max(thread_counts))
    products = make_products(args.n, args.seed)
    vectors, embeddings = product_vectors(products, encoder, args.seed, not args.no_cache)

    index = SemanticIndex(encoder)
    started = time.perf_counter()
    index.upsert([p.item for p in products], vectors=vectors)
    build_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="semantic-bench-") as directory:
        save_s = timed(lambda: index.save(directory)) / 1000
        load_s = timed(lambda: SemanticIndex.load(directory, encoder)) / 1000

    queries = make_queries(args.queries, args.seed)
    print(f"measuring {len(queries)} queries, threads {thread_counts} alternating ...", file=sys.stderr)
    load_before = os.getloadavg()[0]
    runs = measure(index, encoder, queries, thread_counts, args.k)
    load_after = os.getloadavg()[0]

    report = {
        "options": {
            "n": args.n,
            "seed": args.seed,
            "queries": args.queries,
            "k": args.k,
            "threads": thread_counts,
            "encoder": encoder.name,
        },
        "embeddings": embeddings,
        "build": {
            "model_load_s": encoder.load_seconds,
            "build_s": build_s,
            "save_s": save_s,
            "load_s": load_s,
            "index_mib": len(index) * index.dimension * 4 / 2**20,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        },
        "selectivity": selectivity(index),
        "runs": runs,
        "loadavg_1min": [load_before, load_after],
    }
    print(describe(report))
    print(render_table(report, args.markdown))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
