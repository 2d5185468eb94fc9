"""BM25 over product texts (bm25s), one document per row of the semantic index.

Shoppers type product words, brands, sizes and model numbers; an embedding blurs exactly those
("44 inch" and "40 inch" are neighbours in meaning), a word index does not. bm25s keeps BM25 as
a sparse matrix of precomputed term scores, so a query is a sum of a few matrix columns: about a
millisecond at 50k products, and the same row mask as faiss restricts it (price, brand, category,
stock). The words come from `query_understanding.product_tokens`: title (counted
`title_weight` extra times, a field boost), then the rest of the indexed text (description start,
categories, attributes, tags, brand) and SKUs.

bm25s has no in-place update: a change re-builds the matrix from the tokens kept per row (no
re-tokenising), which is cheap beside encoding the changed texts (benchmarks/search_relevance.py
prints the time at its catalogue size). The owner (`SemanticIndex`) builds outside its lock and
installs the result under it, so searches never wait for a build.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from knowledge_graph.query_understanding import Vocabulary, product_tokens

__all__ = ["TITLE_WEIGHT", "LexicalEngine", "LexicalIndex", "document_tokens"]

TITLE_WEIGHT = 1  # extra copies of the title's tokens: the title says what the product is


def document_tokens(title: str, text: str, codes: Iterable[str] = ()) -> tuple[str, str]:
    """A product's (title tokens, other tokens), each space-joined, as the index stores them."""
    sku_tokens = [token for code in codes for token in product_tokens(code)]
    sku_tokens += [re.sub(r"[\W_]+", "", code.casefold()) for code in codes]  # "CH-1" is also "ch1"
    return " ".join(product_tokens(title)), " ".join(product_tokens(text) + sku_tokens)


@dataclass(frozen=True)
class LexicalEngine:
    """One built state: the bm25s matrix for documents 0..size-1 and the vocabulary it knows."""

    bm25: bm25s.BM25 | None
    token_ids: dict[str, int]
    vocabulary: Vocabulary
    size: int
    version: int

    def scores(self, tokens: Sequence[str], rows: int) -> np.ndarray:
        """BM25 score of every row (0 for rows the engine has not seen yet) for the query tokens."""
        out = np.zeros(rows, dtype=np.float32)
        ids = [self.token_ids[t] for t in tokens if t in self.token_ids]
        if self.bm25 is None or not ids:
            return out
        scores = self.bm25.get_scores_from_ids(ids)
        n = min(rows, self.size)
        out[:n] = scores[:n]
        return out


EMPTY_ENGINE = LexicalEngine(None, {}, Vocabulary({}), 0, 0)


class LexicalIndex:
    """Tokens per row and the engine built from them; not locked itself (its owner holds the lock)."""

    def __init__(self, *, title_weight: int = TITLE_WEIGHT, k1: float = 1.2, b: float = 0.75) -> None:
        self.title_weight = title_weight
        self.k1 = k1
        self.b = b
        self._titles: list[str] = []
        self._bodies: list[str] = []
        self._version = 0
        self.engine = EMPTY_ENGINE

    def set(self, row: int, title: str, body: str) -> bool:
        """Store a row's tokens (from `document_tokens`); True if they changed (a build is due)."""
        if row >= len(self._titles):
            grow = row + 1 - len(self._titles)
            self._titles.extend([""] * grow)
            self._bodies.extend([""] * grow)
        if self._titles[row] == title and self._bodies[row] == body:
            return False
        self._titles[row], self._bodies[row] = title, body
        self._version += 1
        return True

    def clear(self, rows: Iterable[int]) -> None:
        for row in rows:
            if row < len(self._titles) and (self._titles[row] or self._bodies[row]):
                self._titles[row] = self._bodies[row] = ""
                self._version += 1

    @property
    def stale(self) -> bool:
        return self.engine.version != self._version or self.engine.size != len(self._titles)

    def snapshot(self) -> tuple[list[str], list[str], int]:
        """What `build` needs, taken under the owner's lock (list copies, no tokenising)."""
        return list(self._titles), list(self._bodies), self._version

    def build(self, snapshot: tuple[list[str], list[str], int]) -> LexicalEngine:
        """A new engine from a snapshot; runs outside the owner's lock."""
        titles, bodies, version = snapshot
        corpus = [
            list(itertools.chain(*([title.split()] * (1 + self.title_weight)), body.split()))
            for title, body in zip(titles, bodies, strict=True)
        ]
        if not any(corpus):
            return LexicalEngine(None, {}, Vocabulary({}), len(corpus), version)
        bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        bm25.index(corpus, show_progress=False)
        indptr = bm25.scores["indptr"]
        frequency = {t: int(indptr[i + 1] - indptr[i]) for t, i in bm25.vocab_dict.items() if t}
        return LexicalEngine(bm25, dict(bm25.vocab_dict), Vocabulary(frequency), len(corpus), version)

    def install(self, engine: LexicalEngine) -> None:
        """Use `engine` unless a newer one is installed already (two builds raced)."""
        if engine.version >= self.engine.version:
            self.engine = engine

    def title_words(self, row: int) -> frozenset[str]:
        return frozenset(self._titles[row].split()) if row < len(self._titles) else frozenset()

    def words(self, row: int) -> frozenset[str]:
        if row >= len(self._titles):
            return frozenset()
        return frozenset(self._titles[row].split()) | frozenset(self._bodies[row].split())

    def top(self, tokens: Sequence[str], k: int, rows: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        """The k best rows with a positive score among `mask` (all rows if None), best first."""
        scores = self.engine.scores(tokens, rows)
        if mask is not None:
            scores = np.where(mask[:rows], scores, 0)
        positive = int(np.count_nonzero(scores > 0))
        if positive == 0 or k <= 0:
            return []
        k = min(k, positive)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(row), float(scores[row])) for row in best]

    # ----------------------------------------------------------------- persistence

    def to_array(self) -> np.ndarray:
        """All rows' tokens as one UTF-8 byte array ("title<TAB>body" lines), for the index's npz."""
        lines = "\n".join(f"{t}\t{b}" for t, b in zip(self._titles, self._bodies, strict=True))
        return np.frombuffer(lines.encode("utf-8"), dtype=np.uint8)

    def restore(self, array: np.ndarray, rows: int) -> None:
        """Rows' tokens from `to_array`'s bytes (the engine is built by the owner afterwards)."""
        text = array.tobytes().decode("utf-8")
        lines = text.split("\n") if rows else []
        if len(lines) != rows:
            raise ValueError(f"lexical tokens for {len(lines)} rows, expected {rows}")
        pairs = [line.split("\t", 1) for line in lines]
        self._titles = [p[0] for p in pairs]
        self._bodies = [p[1] if len(p) > 1 else "" for p in pairs]
        self._version += 1
