"""The product encoder's forms side by side: bulk encoding speed, query latency, and agreement.

Compares the encoders of knowledge_graph/product_encoder.py (`--encoders torch,onnx-int8`; the
first is the reference) on the same texts in one run:

1. product text lengths in tokens (what a shorter max_seq_length would cut): the synthetic texts
   of benchmarks/semantic_search.py, the catalogue generator's products through `product_text`,
   and a real fashion catalogue (../shared/data/myntra, read in place) when it is there;
2. bulk encoding throughput, the import's cost: `--texts` generator products encoded in chunks of
   `--chunk`, the encoders taking turns chunk by chunk so that load from other processes on a
   shared machine falls on each alike; with `--bulk-threads` threads, and the time 50,000 products
   would take at that rate;
3. query encoding latency with one thread (`--queries` shopper queries, encoders alternating);
4. agreement with the reference: cosine between the two encoders' vectors of the same product
   text and of the same query, and the overlap of the top-10 products each encoder's own vectors
   give for each query over the encoded texts (1.0 = the same ten products).

    .venv-services/bin/python -m benchmarks.product_encoder
    .venv-services/bin/python -m benchmarks.product_encoder --texts 2000 --encoders torch,onnx-int8
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.semantic_search import make_products, make_queries, summary  # noqa: E402
from contracts.catalogue import Brand, Catalogue, Product, Variant  # noqa: E402
from knowledge_graph.product_encoder import (  # noqa: E402
    MAX_TOKENS,
    ProductEncoder,
    load_encoder,
    packaged_model_dir,
)
from knowledge_graph.semantic_search import items_from_catalogue  # noqa: E402
from tools.catalogue_generator import generate_catalogue  # noqa: E402

MYNTRA = REPO_ROOT.parent / "shared" / "data" / "myntra" / "myntra_products_catalog.csv"
INDEXING_TARGET = 50_000  # products; the goal: indexed in at most 3 minutes on 2 cores
TOP = 10


# --------------------------------------------------------------------------- texts


def generator_texts(n: int, seed: int = 7) -> list[str]:
    """Product texts as an import makes them, from the seeded catalogue generator."""
    return [item.text for item in items_from_catalogue(generate_catalogue(n, seed))]


def myntra_texts(path: Path = MYNTRA) -> list[str]:
    """Product texts of a real catalogue: title, description, gender as category, colour, brand."""
    products, brands = [], {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            product_id = row["Product_ID"]
            brand = row["Product_Brand"].strip()
            brand_id = brand.casefold().replace(" ", "-") or None
            if brand_id:
                brands[brand_id] = brand
            variant = Variant(
                sku=product_id,
                product_id=product_id,
                title="",
                price=float(row["Price"] or 0),
                stock=1,
                colour=(row["Primary_Color"] or "").strip() or None,
            )
            products.append(
                Product(
                    id=product_id,
                    title=row["Product_Name"],
                    description=row["Description"] or "",
                    brand_id=brand_id,
                    category_id=(row["Gender"] or "").casefold() or None,
                    variants=(variant,),
                )
            )
    catalogue = Catalogue(products=products, brands=[Brand(k, v) for k, v in brands.items()])
    return [item.text for item in items_from_catalogue(catalogue)]


def token_lengths(texts: Sequence[str]) -> np.ndarray:
    """Tokens per text with the encoder's own tokenizer, [CLS] and [SEP] included, not truncated."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(packaged_model_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return np.asarray([len(e.ids) for e in tokenizer.encode_batch(list(texts))])


def length_line(name: str, texts: Sequence[str]) -> str:
    lengths = token_lengths(texts)
    words = np.mean([len(t.split()) for t in texts])
    p50, p90, p99 = np.percentile(lengths, [50, 90, 99])
    return (
        f"{name:<22} {len(texts):>6} texts  {words:5.1f} words  tokens mean {lengths.mean():5.1f} "
        f"p50/p90/p99/max {p50:.0f}/{p90:.0f}/{p99:.0f}/{lengths.max()}  "
        f"over 64: {np.mean(lengths > 64):.1%}  over {MAX_TOKENS}: {np.mean(lengths > MAX_TOKENS):.1%}"
    )


# --------------------------------------------------------------------------- measurements


def bulk(encoders: dict[str, ProductEncoder], texts: list[str], chunk: int) -> dict[str, tuple[np.ndarray, float]]:
    """Every encoder's vectors of `texts` and its seconds, encoders taking turns chunk by chunk."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in encoders}
    seconds = dict.fromkeys(encoders, 0.0)
    for start in range(0, len(texts), chunk):
        block = texts[start : start + chunk]
        for name, encoder in encoders.items():
            started = time.perf_counter()
            parts[name].append(encoder.encode(block))
            seconds[name] += time.perf_counter() - started
        print(f"  {start + len(block)}/{len(texts)} texts", file=sys.stderr)
    return {name: (np.concatenate(parts[name]), seconds[name]) for name in encoders}


def query_latency(encoders: dict[str, ProductEncoder], queries: list[str]) -> dict[str, list[float]]:
    """Milliseconds per single-query encode, encoders alternating query by query."""
    for encoder in encoders.values():  # warm-up
        for query in queries[:10]:
            encoder.encode([query])
    times: dict[str, list[float]] = {name: [] for name in encoders}
    for query in queries:
        for name, encoder in encoders.items():
            started = time.perf_counter_ns()
            encoder.encode([query])
            times[name].append((time.perf_counter_ns() - started) / 1e6)
    return times


def top_overlap(reference: tuple[np.ndarray, np.ndarray], other: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per query, the share of the reference's top-10 products that the other encoder's top-10 has."""
    (ref_products, ref_queries), (products, queries) = reference, other
    ref_top = np.argsort(-(ref_queries @ ref_products.T), axis=1)[:, :TOP]
    top = np.argsort(-(queries @ products.T), axis=1)[:, :TOP]
    return np.asarray([len(set(a) & set(b)) / TOP for a, b in zip(ref_top, top, strict=True)])


# --------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoders", default="torch,onnx-int8", help="comma-separated; the first is the reference")
    p.add_argument("--texts", type=int, default=5000, help="generator products encoded by each encoder")
    p.add_argument("--chunk", type=int, default=500, help="texts per turn of one encoder")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--bulk-threads", type=int, default=2, help="threads for bulk encoding (queries use 1)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=42)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    kinds = [k.strip() for k in args.encoders.split(",") if k.strip()]
    load_before = os.getloadavg()

    print("product text lengths (all-MiniLM-L6-v2 tokenizer):")
    print(length_line("synthetic (benchmark)", [p.item.text for p in make_products(5000, args.seed)]))
    texts = generator_texts(args.texts)
    print(length_line("catalogue generator", texts))
    if MYNTRA.exists():
        print(length_line("myntra (real)", myntra_texts()))
    else:
        print(f"myntra (real): {MYNTRA} not found, skipped")

    encoders: dict[str, ProductEncoder] = {}
    for kind in kinds:
        started = time.perf_counter()
        encoders[kind] = load_encoder(kind, threads=1, bulk_threads=args.bulk_threads, batch_size=args.batch_size)
        print(f"{kind}: loaded in {time.perf_counter() - started:.1f} s ({encoders[kind].name})")

    print(f"bulk: {len(texts)} generator texts, {args.bulk_threads} thread(s), batch {args.batch_size} ...")
    vectors = bulk(encoders, texts, args.chunk)
    queries = make_queries(args.queries, args.seed)
    latency = query_latency(encoders, queries)
    query_vectors = {name: encoder.encode(queries) for name, encoder in encoders.items()}
    load_after = os.getloadavg()

    reference = kinds[0]
    header = f"{'encoder':<12} {'texts/s':>8} {'50k products':>13} {'query p50/p95 ms':>17} "
    header += f"{'cos products min/mean':>22} {'cos queries min/mean':>21} {'top-10 overlap mean/min':>24}"
    print(header)
    for name in kinds:
        matrix, seconds = vectors[name]
        rate = len(texts) / seconds
        q = summary(latency[name])
        products_cos = np.sum(matrix * vectors[reference][0], axis=1)
        queries_cos = np.sum(query_vectors[name] * query_vectors[reference], axis=1)
        overlap = top_overlap(
            (vectors[reference][0], query_vectors[reference]),
            (matrix, query_vectors[name]),
        )
        minutes = INDEXING_TARGET / rate / 60
        print(
            f"{name:<12} {rate:>8.0f} {minutes:>9.1f} min {q['p50']:>8.2f} / {q['p95']:<6.2f} "
            f"{products_cos.min():>12.4f} / {products_cos.mean():.4f} {queries_cos.min():>11.4f} / "
            f"{queries_cos.mean():.4f} {overlap.mean():>14.3f} / {overlap.min():.1f}"
        )
    print(
        f"load average 1/5 min before {load_before[0]:.2f}/{load_before[1]:.2f}, "
        f"after {load_after[0]:.2f}/{load_after[1]:.2f}; {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
