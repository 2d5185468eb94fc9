"""Which BM25 engine backs the lexical index: bm25s (chosen) beside tantivy, on the same tokens.

Both engines get exactly the tokens the product index stores (`lexical_index.document_tokens`:
title and the rest, with canonical sizes and model numbers) and the queries' tokens
(`query_understanding.query_terms`); the title counts double in both (bm25s: the title's tokens
twice, tantivy: a title field with boost 2). Measured:

- relevance: NDCG@10 of words-only search on the CrowdFlower queries over their judged products
  (the catalogue scope of benchmarks/search_relevance.py);
- at 50,000 synthetic products (benchmarks/semantic_search.py's generator): build time, the update
  after a re-import that changes 5 products, top-10 query latency (p50/p95) without and with a
  filter (price <= 40; tantivy has no way to take the index's row bitmap, so it searches deeper and
  drops rows afterwards), and the size of the engine's data.

tantivy is not a dependency of the assistant; this benchmark needs it importable, e.g.
    .venv-services/bin/pip install --target /tmp/tantivy tantivy==0.27.0
    PYTHONPATH=/tmp/tantivy .venv-services/bin/python benchmarks/lexical_engines.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.search_relevance import DATA, TOP, import_catalogue, read_judgements, render, scores  # noqa: E402
from benchmarks.semantic_search import make_products, make_queries  # noqa: E402
from knowledge_graph.lexical_index import LexicalIndex, document_tokens  # noqa: E402
from knowledge_graph.query_understanding import query_terms  # noqa: E402

Documents = list[tuple[str, str]]  # (title tokens, other tokens), space-joined
DEEP = 200  # tantivy's depth before dropping filtered-out rows


class Bm25sEngine:
    name = "bm25s"

    def build(self, documents: Documents) -> None:
        self.index = LexicalIndex()
        for row, (title, body) in enumerate(documents):
            self.index.set(row, title, body)
        self.index.install(self.index.build(self.index.snapshot()))

    def update(self, changes: dict[int, tuple[str, str]]) -> None:
        for row, (title, body) in changes.items():
            self.index.set(row, title, body)
        self.index.install(self.index.build(self.index.snapshot()))

    def search(self, tokens: Sequence[str], k: int, mask: np.ndarray | None) -> list[int]:
        return [row for row, _ in self.index.top(tokens, k, self.index.engine.size, mask)]

    def megabytes(self) -> float:
        bm25 = self.index.engine.bm25
        return sum(bm25.scores[name].nbytes for name in ("data", "indices", "indptr")) / 1e6


class TantivyEngine:
    name = "tantivy"

    def __init__(self) -> None:
        import tantivy

        self.tantivy = tantivy

    def build(self, documents: Documents) -> None:
        self.directory = tempfile.TemporaryDirectory(prefix="lexical-engines-")  # a new index each time
        builder = self.tantivy.SchemaBuilder()
        builder.add_text_field("title", tokenizer_name="whitespace", index_option="freq")
        builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
        builder.add_integer_field("row", stored=True, indexed=True, fast=True)
        self.schema = builder.build()
        self.index = self.tantivy.Index(self.schema, path=self.directory.name)
        self.writer = self.index.writer(heap_size=100_000_000, num_threads=1)
        for row, (title, body) in enumerate(documents):
            self.writer.add_document(self.tantivy.Document(title=title, body=body, row=row))
        self._commit()

    def _commit(self) -> None:
        self.writer.commit()
        self.index.reload()
        self.searcher = self.index.searcher()

    def update(self, changes: dict[int, tuple[str, str]]) -> None:
        for row, (title, body) in changes.items():
            self.writer.delete_documents_by_term("row", row)
            self.writer.add_document(self.tantivy.Document(title=title, body=body, row=row))
        self._commit()

    def search(self, tokens: Sequence[str], k: int, mask: np.ndarray | None) -> list[int]:
        if not tokens:
            return []
        query_type = self.tantivy.Query
        should = self.tantivy.Occur.Should
        clauses = []
        for token in tokens:
            clauses.append((should, query_type.boost_query(query_type.term_query(self.schema, "title", token), 2.0)))
            clauses.append((should, query_type.term_query(self.schema, "body", token)))
        hits = self.searcher.search(query_type.boolean_query(clauses), limit=k if mask is None else DEEP).hits
        rows = [self.searcher.doc(address)["row"][0] for _, address in hits]
        return rows if mask is None else [row for row in rows if mask[row]][:k]

    def megabytes(self) -> float:
        return sum(p.stat().st_size for p in Path(self.directory.name).iterdir() if p.is_file()) / 1e6


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def relevance(engine: Any, data: Path) -> float:
    judged = read_judgements(data)
    items, _ = import_catalogue(judged)
    engine.build([document_tokens(item.title, item.text, item.codes) for item in items])
    product_of = [item.product_id for item in items]
    values = []
    for query in judged.queries:
        rows = engine.search(query_terms(query, measures=False).tokens, TOP, None)
        values.append(scores([product_of[row] for row in rows], judged.grades[query])["ndcg"])
    return float(np.mean(values))


def scale(engine: Any, n: int) -> dict[str, float]:
    products = make_products(n, 42)
    documents = [document_tokens(p.item.text.split(".")[0], p.item.text) for p in products]
    queries = [query_terms(q).tokens for q in make_queries(200, 42)]
    mask = np.asarray([(p.item.min_price or 0) <= 40 for p in products])
    build_s = timed(lambda: engine.build(documents))
    changes = {row: (documents[row][0] + " edition", documents[row][1]) for row in range(5)}
    update_s = timed(lambda: engine.update(changes))
    plain = [timed(lambda q=q: engine.search(q, TOP, None)) * 1000 for q in queries]
    filtered = [timed(lambda q=q: engine.search(q, TOP, mask)) * 1000 for q in queries]
    return {
        "build_s": build_s,
        "update_5_s": update_s,
        "p50_ms": float(np.percentile(plain, 50)),
        "p95_ms": float(np.percentile(plain, 95)),
        "filtered_p50_ms": float(np.percentile(filtered, 50)),
        "filtered_p95_ms": float(np.percentile(filtered, 95)),
        "data_mb": engine.megabytes(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50_000, help="synthetic products for the timing")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    engines: list[Any] = [Bm25sEngine()]
    try:
        engines.append(TantivyEngine())
    except ImportError:
        print("tantivy is not importable: measuring bm25s alone (see the docstring)", file=sys.stderr)
    rows = []
    for engine in engines:
        ndcg = relevance(engine, args.data)
        cost = scale(engine, args.n)
        rows.append(
            [
                engine.name,
                f"{ndcg:.3f}",
                f"{cost['build_s']:.2f}",
                f"{cost['update_5_s']:.2f}",
                f"{cost['p50_ms']:.2f} / {cost['p95_ms']:.2f}",
                f"{cost['filtered_p50_ms']:.2f} / {cost['filtered_p95_ms']:.2f}",
                f"{cost['data_mb']:.1f}",
            ]
        )
    headers = [
        "engine",
        "CrowdFlower NDCG@10",
        "build s",
        "re-import 5 changed s",
        "query p50 / p95 ms",
        "filtered p50 / p95 ms",
        "data MB",
    ]
    title = f"lexical engines on the same tokens (shared machine, {args.n} synthetic products)"
    print(render(title, headers, rows, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
