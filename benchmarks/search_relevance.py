"""Product search relevance on real shoppers' queries: BM25, dense, fused and query understanding side by side.

Data: CrowdFlower "Search Results Relevance" (../shared/data/crowdflower/train.csv.zip, see the
README there): 261 shopper queries, each with a median of 39 products graded 1-4 by people.

1. The judged products (and only they) become a catalogue the documented way: written as a feed
   (JSON lines, one product per distinct title + description) and read by the importer's
   `parse_file`, then indexed with `items_from_catalogue` as `ProductGraph.import_catalogue` does.
   Their vectors are encoded once and cached in var/bench-cache/ (keyed by the texts and encoder).
2. Every query is searched with each `Ranking` of the ablation, in two scopes:
   - catalogue: the whole catalogue (9.7k products); a product not judged for this query gains 0.
   - judged: only the query's own judged products (`among=`), so every ranked item has a grade:
     this measures the ordering alone.
3. Metrics: NDCG@10 with gain = grade and with gain = grade - 1 (so a product graded 1,
   "irrelevant", earns nothing), P@5 = share of the first 5 graded 4 ("exactly what was searched
   for"), hit@10 = a product graded 4 among the first 10. Reported for all queries, the tuning half
   (even query numbers, sorted by text) and the held-out half (odd), and the slices "numbers"
   (queries with a digit) and "4+ words".
4. Cost: lexical build time, the re-build after a re-import that changes 5 products, save + load,
   the lexical index's memory, and query latency after encoding (`search_encoded`) at this size.

    python benchmarks/search_relevance.py
    python benchmarks/search_relevance.py --markdown
    python benchmarks/search_relevance.py --tune        # grid over fusion weights on the tuning half
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import io
import itertools
import json
import math
import os
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from knowledge_graph.hybrid_ranking import Ranking  # noqa: E402
from knowledge_graph.importers.load import parse_file  # noqa: E402
from knowledge_graph.product_encoder import TextEncoder, get_encoder  # noqa: E402
from knowledge_graph.semantic_search import IndexItem, SemanticIndex, items_from_catalogue  # noqa: E402

DATA = REPO_ROOT.parent / "shared" / "data" / "crowdflower" / "train.csv.zip"
VAR_DIR = Path(os.environ.get("ASSISTANT_VAR", REPO_ROOT / "var"))
CACHE_DIR = VAR_DIR / "bench-cache"
TOP = 10


FUSED = Ranking(fusion="rrf", rrf_k=60.0, dense_weight=1.0).without_understanding()  # the textbook fusion
BM25 = dataclasses.replace(FUSED, dense=False)
DENSE = dataclasses.replace(FUSED, lexical=False)
FULL = Ranking()


def ablation(full: Ranking) -> list[tuple[str, Ranking]]:
    """The rows of the table: the three bases, each rule of query understanding alone, then all of them."""
    fused = full.without_understanding()  # the tuned fusion weights, no understanding
    rules = {
        "measures": {"measures": True},
        "typos": {"typos": True},
        "model numbers": {"codes": True},
        "antonyms": {"antonym_penalty": full.antonym_penalty},
        "brands": {"brand_match": full.brand_match},
        "title holds query": {"title_match": full.title_match or 0.3},
        "head word in title": {"head_match": full.head_match or 0.3},
    }
    rows = [
        ("BM25 only", BM25),
        ("BM25 + understanding", dataclasses.replace(full, dense=False)),
        ("dense only", DENSE),
        ("fused (RRF k=60, equal weights)", FUSED),
        (f"fused ({fused.fusion}, tuned)", fused),
    ]
    rows += [(f"fused + {name}", dataclasses.replace(fused, **change)) for name, change in rules.items()]
    rows.append(("fused + understanding (default)", full))
    return rows


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Judged:
    queries: list[str]
    grades: dict[str, dict[str, int]]  # query -> product id -> grade 1..4
    feed: list[dict[str, object]]  # one feed record per distinct product


def product_id(title: str, description: str) -> str:
    return "cf-" + hashlib.blake2b(f"{title}\x1f{description}".encode(), digest_size=6).hexdigest()


def read_judgements(path: Path) -> Judged:
    with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as raw:
        rows = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))
    grades: dict[str, dict[str, int]] = {}
    feed: dict[str, dict[str, object]] = {}
    for row in rows:
        title, description = row["product_title"].strip(), row["product_description"].strip()
        pid = product_id(title, description)
        feed.setdefault(pid, {"id": pid, "title": title, "description": _plain(description)})
        grades.setdefault(row["query"].strip(), {})[pid] = int(row["median_relevance"])
    return Judged(sorted(grades), grades, list(feed.values()))


def _plain(html: str) -> str:
    """Descriptions carry some HTML; a shop's feed would hold the text."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def import_catalogue(judged: Judged) -> tuple[list[IndexItem], int]:
    """The judged products through the importer (feed JSON lines -> parse_file -> index items)."""
    with tempfile.TemporaryDirectory(prefix="search-relevance-") as tmp:
        path = Path(tmp) / "crowdflower.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for record in judged.feed:
                out.write(json.dumps(record) + "\n")
        result = parse_file(path, "jsonl")
    return items_from_catalogue(result.catalogue), len(result.issues)


def cached_vectors(encoder: TextEncoder, texts: Sequence[str], kind: str) -> np.ndarray:
    digest = hashlib.blake2b("\n".join(texts).encode(), digest_size=8).hexdigest()
    name = re.sub(r"[^0-9A-Za-z.-]+", "-", encoder.name)
    path = CACHE_DIR / f"relevance-{kind}-{name}-{digest}.npy"
    if path.exists():
        vectors = np.load(path)
        if vectors.shape == (len(texts), encoder.dimension):
            return vectors
    print(f"encoding {len(texts)} {kind} texts with {encoder.name} ...", file=sys.stderr)
    started = time.perf_counter()
    vectors = np.concatenate([encoder.encode(texts[i : i + 1024]) for i in range(0, len(texts), 1024)])
    print(f"  {len(texts) / (time.perf_counter() - started):.0f} texts/s", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npy")
    np.save(temporary, vectors)
    os.replace(temporary, path)
    return vectors


# --------------------------------------------------------------------------- metrics


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg(ranked: Sequence[str], grades: dict[str, int], offset: int) -> float:
    gains = [max(grades.get(pid, 0) - offset, 0) for pid in ranked[:TOP]]
    ideal = dcg(sorted((max(g - offset, 0) for g in grades.values()), reverse=True)[:TOP])
    return dcg(gains) / ideal if ideal else 0.0


def scores(ranked: Sequence[str], grades: dict[str, int]) -> dict[str, float]:
    return {
        "ndcg": ndcg(ranked, grades, 0),
        "ndcg-1": ndcg(ranked, grades, 1),
        "p5": sum(grades.get(pid) == 4 for pid in ranked[:5]) / 5,
        "hit10": float(any(grades.get(pid) == 4 for pid in ranked[:TOP])),
    }


METRICS = ("ndcg", "ndcg-1", "p5", "hit10")
SLICES: dict[str, Callable[[int, str], bool]] = {
    "all": lambda i, q: True,
    "tune": lambda i, q: i % 2 == 0,
    "held-out": lambda i, q: i % 2 == 1,
    "numbers": lambda i, q: bool(re.search(r"\d", q)),
    "4+ words": lambda i, q: len(q.split()) >= 4,
}


def evaluate(
    index: SemanticIndex,
    judged: Judged,
    query_vectors: np.ndarray,
    ranking: Ranking,
    scope: str,
    latencies: list[float] | None = None,
) -> dict[str, dict[str, float]]:
    """Mean metrics per slice for one ranking in one scope."""
    per_query = []
    for query, vector in zip(judged.queries, query_vectors, strict=True):
        grades = judged.grades[query]
        among = list(grades) if scope == "judged" else None
        started = time.perf_counter_ns()
        hits = index.search_encoded(query, vector, TOP, among=among, ranking=ranking)
        if latencies is not None:
            latencies.append((time.perf_counter_ns() - started) / 1e6)
        per_query.append(scores([h.product_id for h in hits], grades))
    out = {}
    for name, chosen in SLICES.items():
        picked = [s for i, (q, s) in enumerate(zip(judged.queries, per_query, strict=True)) if chosen(i, q)]
        out[name] = {m: float(np.mean([s[m] for s in picked])) for m in METRICS} | {"n": len(picked)}
    return out


# --------------------------------------------------------------------------- cost


def lexical_costs(items: list[IndexItem], vectors: np.ndarray, encoder: TextEncoder) -> dict[str, float]:
    """Build, incremental re-build, save + load and memory of the lexical part at this catalogue size."""
    index = SemanticIndex(encoder)
    started = time.perf_counter()
    index.upsert(items, vectors=vectors)
    upsert_s = time.perf_counter() - started
    lexical = index._lexical  # the benchmark looks inside on purpose: its size and build time
    started = time.perf_counter()
    lexical.install(lexical.build(lexical.snapshot()))
    build_s = time.perf_counter() - started
    changed = [dataclasses.replace(item, title=item.title + " (2026 edition)") for item in items[:5]]
    started = time.perf_counter()
    stats = index.upsert(changed, vectors=vectors[:5])
    reimport_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="search-relevance-index-") as tmp:
        started = time.perf_counter()
        index.save(tmp)
        save_s = time.perf_counter() - started
        started = time.perf_counter()
        SemanticIndex.load(tmp, encoder)
        load_s = time.perf_counter() - started
    bm25 = lexical.engine.bm25
    matrix = sum(a.nbytes for a in (bm25.scores["data"], bm25.scores["indices"], bm25.scores["indptr"])) if bm25 else 0
    tokens = sum(len(t) + len(b) for t, b in zip(*lexical.snapshot()[:2], strict=True))
    return {
        "products": len(items),
        "upsert_with_vectors_s": upsert_s,
        "lexical_build_s": build_s,
        "reimport_5_changed_s": reimport_s,
        "reimport_encoded": stats.encoded,
        "save_s": save_s,
        "load_s": load_s,
        "bm25_matrix_mb": matrix / 1e6,
        "token_text_mb": tokens / 1e6,
        "vocabulary": len(lexical.engine.token_ids),
    }


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# --------------------------------------------------------------------------- tuning


def tune(index: SemanticIndex, judged: Judged, query_vectors: np.ndarray) -> Ranking:
    """Grid over the fusion's weights and bonuses on the tuning half (catalogue scope, NDCG@10); prints the best."""
    grid = []
    fusions = [("rrf", k, w) for k in (30.0, 60.0, 100.0) for w in (1.0, 1.6, 2.5)]
    fusions += [("scores", 60.0, w) for w in (0.7, 1.0, 1.5)]
    for (fusion, rrf_k, dense_weight), title_match, head_match in itertools.product(
        fusions, (0.0, 0.1), (0.0, 0.05, 0.1)
    ):
        ranking = dataclasses.replace(
            FULL,
            fusion=fusion,
            rrf_k=rrf_k,
            dense_weight=dense_weight,
            title_match=title_match,
            head_match=head_match,
        )
        result = evaluate(index, judged, query_vectors, ranking, "catalogue")
        grid.append((result["tune"]["ndcg"], result["held-out"]["ndcg"], ranking))
    grid.sort(key=lambda row: -row[0])
    for tuned, held_out, ranking in grid[:8]:
        print(
            f"tune {tuned:.3f} held-out {held_out:.3f}  fusion={ranking.fusion} rrf_k={ranking.rrf_k:g}"
            f" dense_weight={ranking.dense_weight:g}"
            f" title_match={ranking.title_match:g} head_match={ranking.head_match:g}"
        )
    return grid[0][2]


# --------------------------------------------------------------------------- output


def render(title: str, headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = [f"**{title}**", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines) + "\n"


def ablation_table(results: list[tuple[str, dict[str, dict[str, float]]]], scope: str, markdown: bool) -> str:
    headers = [
        "ranking",
        "NDCG@10",
        "NDCG@10 (g-1)",
        "P@5 (4)",
        "hit@10",
        "held-out NDCG",
        "held-out (g-1)",
        "numbers NDCG",
        "4+ words NDCG",
    ]
    rows = []
    for name, r in results:
        a = r["all"]
        rows.append(
            [
                name,
                f"{a['ndcg']:.3f}",
                f"{a['ndcg-1']:.3f}",
                f"{a['p5']:.3f}",
                f"{a['hit10']:.3f}",
                f"{r['held-out']['ndcg']:.3f}",
                f"{r['held-out']['ndcg-1']:.3f}",
                f"{r['numbers']['ndcg']:.3f}",
                f"{r['4+ words']['ndcg']:.3f}",
            ]
        )
    sizes = results[0][1]
    title = (
        f"scope: {scope} ({sizes['all']['n']} queries; held-out {sizes['held-out']['n']}, "
        f"numbers {sizes['numbers']['n']}, 4+ words {sizes['4+ words']['n']})"
    )
    return render(title, headers, rows, markdown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--tune", action="store_true", help="grid-search the fusion weights on the tuning half")
    parser.add_argument("--scope", choices=("catalogue", "judged", "both"), default="both")
    args = parser.parse_args(argv)
    if not args.data.exists():
        parser.error(f"{args.data} not found (the data lies in ../shared/data beside the checkout)")

    judged = read_judgements(args.data)
    started = time.perf_counter()
    items, issues = import_catalogue(judged)
    import_s = time.perf_counter() - started
    encoder = get_encoder()
    vectors = cached_vectors(encoder, [item.text for item in items], "products")
    query_vectors = cached_vectors(encoder, judged.queries, "queries")
    index = SemanticIndex(encoder)
    index.upsert(items, vectors=vectors)
    print(
        f"catalogue: {len(items)} products imported from {len(judged.feed)} feed records ({issues} issues) in "
        f"{import_s:.1f} s; {len(judged.queries)} queries; encoder {encoder.name}; shared machine (other helpers ran)"
    )

    full = tune(index, judged, query_vectors) if args.tune else FULL
    scopes = ("catalogue", "judged") if args.scope == "both" else (args.scope,)
    latencies: dict[str, list[float]] = {}
    for scope in scopes:
        results = []
        for name, ranking in ablation(full):
            timing = latencies.setdefault(name, []) if scope == "catalogue" else None
            results.append((name, evaluate(index, judged, query_vectors, ranking, scope, timing)))
        print(ablation_table(results, scope, args.markdown))

    if latencies:
        rows = [
            [name, f"{percentile(v, 50):.2f}", f"{percentile(v, 95):.2f}", f"{max(v):.2f}"]
            for name, v in latencies.items()
            if name in ("BM25 only", "dense only", f"fused ({full.fusion}, tuned)", "fused + understanding (default)")
        ]
        title = f"query latency after encoding (search_encoded, ms, catalogue scope, {len(items)} products)"
        print(render(title, ["ranking", "p50", "p95", "max"], rows, args.markdown))
    costs = lexical_costs(items, vectors, encoder)
    rows = [[name, f"{value:.3g}" if isinstance(value, float) else str(value)] for name, value in costs.items()]
    print(render("lexical index cost", ["measure", "value"], rows, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
