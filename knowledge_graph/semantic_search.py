"""Semantic product search: sentence embeddings of product texts in a faiss index, with hard filters.

Shoppers describe what they want ("something warm for hiking") rather than naming products, so
products are found by meaning: each product becomes a short text, all-MiniLM-L6-v2
(knowledge_graph/product_encoder.py) turns it into a 384-dimensional unit vector, and a query is
answered by the products whose vectors have the largest inner product (= cosine similarity) with
the query's vector.

Prices, stock, brand and category are not left to the embedding (which is bad at numbers); they are
kept per row in numpy arrays and applied exactly: a boolean mask over the rows becomes a faiss
`IDSelectorBitmap`, so faiss only scores matching rows. At 50k products this beat searching a
larger k and masking afterwards at every selectivity measured (see benchmarks/semantic_search.py).

Meaning alone misses what shoppers type literally (sizes, model numbers, brands), so each row is
also a document of a BM25 index (`lexical_index.py`) over the same rows and filter mask, and
`search` fuses the two lists with the query-understanding rules of `hybrid_ranking.py`.

Thread counts come from SEMANTIC_THREADS (default 1): on a small shared machine one thread per
search is usually faster than two, and leaves a core to the rest of the assistant.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from contracts.catalogue import Catalogue, Product, category_path
from knowledge_graph.hybrid_ranking import DEFAULT_RANKING, Features, Ranking, fuse, ranked
from knowledge_graph.lexical_index import LexicalIndex, document_tokens
from knowledge_graph.product_encoder import DIMENSION, MODEL_NAME, EncoderSettings, TextEncoder
from knowledge_graph.query_understanding import ANTONYMS, QueryTerms, contradicts, query_terms
from knowledge_graph.search_filters import Filters, parse_filters

logger = logging.getLogger(__name__)

__all__ = [
    "IndexItem",
    "SearchHit",
    "SemanticIndex",
    "UpsertStats",
    "category_path",
    "configure_threads",
    "index_item",
    "items_from_catalogue",
    "product_text",
    "search_phrase",
]

MANIFEST = "CURRENT.json"
FORMAT_VERSION = 2  # 2: the lexical index's tokens are saved with the vectors
READABLE_FORMATS = (1, 2)  # a format-1 index loads without words: `lacks_words`, ProductGraph.open adds them
DESCRIPTION_WORDS = 30
MAX_ATTRIBUTES = 6
MAX_TAGS = 8
MAX_COLOURS = 4


_threads: int | None = None


def configure_threads(threads: int | None = None) -> int:
    """Set faiss's (and, once imported, torch's) thread count; `None` reads SEMANTIC_THREADS, default 1.

    Both libraries keep one process-wide setting, so the last call wins.
    """
    global _threads
    if threads is None:
        threads = EncoderSettings.from_env().threads
    threads = max(1, threads)
    faiss.omp_set_num_threads(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    _threads = threads
    return threads


# --------------------------------------------------------------------------- product texts


def _words(slug: str) -> str:
    """ "outdoor-gear" -> "outdoor gear"."""
    return re.sub(r"[-_]+", " ", slug).strip()


def product_text(
    product: Product,
    *,
    brand_name: str | None = None,
    category_names: Sequence[str] = (),
) -> str:
    """The short text embedded for a product: what a shopper might say about it, nothing else.

    Title first, then the start of the description (what it is for: "warm", "for hiking"), then
    category words, a few attributes, colours and tags, and the brand last. Putting the description
    before the catalogue labels ranked better on the hand-written queries in the tests. Kept short
    because encoding time grows with length and the first words carry most of the meaning.
    """
    categories = " ".join(category_names) if category_names else _words((product.category_id or "").replace("/", " "))
    parts = [product.title.strip(), " ".join(product.description.split()[:DESCRIPTION_WORDS]), categories]
    if product.product_type and product.product_type.lower() not in categories.lower():
        parts.append(product.product_type)
    attributes = [f"{a.name} {a.value}" for a in product.attributes[:MAX_ATTRIBUTES]]
    colours = list(dict.fromkeys(v.colour for v in product.variants if v.colour))[:MAX_COLOURS]
    if colours:
        attributes.append("colours " + " ".join(colours))
    parts.append(", ".join(attributes))
    parts.append(", ".join(product.tags[:MAX_TAGS]))
    brand = brand_name or (_words(product.brand_id) if product.brand_id else "")
    if brand:
        parts.append(f"by {brand}")
    return ". ".join(p.rstrip(". ") for p in parts if p)


@dataclass(frozen=True)
class IndexItem:
    """One product as the index sees it: the text to embed and the values filters look at.

    `title` (boosted) and `codes` (SKUs, model numbers) feed the lexical index only.
    """

    product_id: str
    text: str
    min_price: float | None = None
    category_path: tuple[str, ...] = ()
    brand: str | None = None
    in_stock: bool = True
    title: str = ""
    codes: tuple[str, ...] = ()


def index_item(
    product: Product,
    *,
    brand_name: str | None = None,
    category_ids: tuple[str, ...] | None = None,
    category_names: Sequence[str] = (),
) -> IndexItem:
    """An IndexItem for a product; the brand filter matches `brand_name` (or the brand id)."""
    return IndexItem(
        product_id=product.id,
        text=product_text(product, brand_name=brand_name, category_names=category_names),
        min_price=product.min_price,
        category_path=category_ids if category_ids is not None else category_path(product.category_id),
        brand=brand_name or product.brand_id,
        in_stock=product.total_stock > 0,
        title=product.title,
        codes=tuple(dict.fromkeys(v.sku for v in product.variants if v.sku)),
    )


def items_from_catalogue(catalogue: Catalogue) -> list[IndexItem]:
    """IndexItems for every product of an import, with brand and category names from the catalogue."""
    brands = {b.id: b.name for b in catalogue.brands}
    parents = {c.id: c.parent_id for c in catalogue.categories}
    names = {c.id: c.name for c in catalogue.categories}
    items = []
    for product in catalogue.products:
        path = category_path(product.category_id, parents if product.category_id in parents else None)
        items.append(
            index_item(
                product,
                brand_name=brands.get(product.brand_id or ""),
                category_ids=path,
                category_names=[names[c] for c in path if c in names],
            )
        )
    return items


# --------------------------------------------------------------------------- index


@dataclass(frozen=True)
class SearchHit:
    product_id: str
    score: float


@dataclass(frozen=True)
class UpsertStats:
    """What an upsert did: `added` + `text_changed` texts were encoded, the rest only updated."""

    added: int = 0
    text_changed: int = 0
    metadata_only: int = 0

    @property
    def encoded(self) -> int:
        return self.added + self.text_changed


def _text_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _lexical_key(item: IndexItem) -> str:
    return "\x1f".join((item.title, item.text, *item.codes))


def _document(item: IndexItem) -> tuple[str, str]:
    return document_tokens(item.title, item.text, item.codes)


def _key(value: str) -> str:
    """Brand/category lookup key: "North Peak", "north-peak" and "NorthPeak" are the same brand."""
    return re.sub(r"[^0-9a-z]+", "", value.casefold())


def _as_set(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _grown(array: np.ndarray, capacity: int, fill: Any) -> np.ndarray:
    """`array` with at least `capacity` rows, new rows set to `fill`."""
    if len(array) >= capacity:
        return array
    out = np.full((capacity, *array.shape[1:]), fill, dtype=array.dtype)
    out[: len(array)] = array
    return out


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _manifest_files(directory: Path) -> set[str]:
    """The files the current manifest names (none if there is no readable manifest)."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return {manifest["index_file"], manifest["meta_file"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


class SemanticIndex:
    """Product vectors in faiss plus per-row filter values; rows are "slots", the faiss ids.

    A slot keeps its number while its product stays in the index (a text change replaces the
    vector under the same id); removed slots are reused. All methods are thread-safe; encoding
    happens outside the lock so a re-import does not stall searches.
    """

    def __init__(
        self, encoder: TextEncoder | None = None, *, dimension: int | None = None, threads: int | None = None
    ) -> None:
        if threads is not None or _threads is None:
            configure_threads(threads)
        self.encoder = encoder
        self.dimension = dimension if dimension else int(getattr(encoder, "dimension", DIMENSION))
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        self._lock = threading.RLock()
        self._ids: list[str | None] = []  # slot -> product id (None: free)
        self._slot_of: dict[str, int] = {}
        self._free: list[int] = []
        self._price = np.zeros(0, dtype=np.float64)
        self._in_stock = np.zeros(0, dtype=bool)
        self._alive = np.zeros(0, dtype=bool)
        self._hash = np.zeros(0, dtype=np.uint64)
        self._brand = np.zeros(0, dtype=np.int32)
        self._paths = np.full((0, 1), -1, dtype=np.int32)
        self._brands: dict[str, int] = {}
        self._categories: dict[str, int] = {}
        self._lexical = LexicalIndex()
        self._lexical_hash = np.zeros(0, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._slot_of

    def product_ids(self) -> set[str]:
        with self._lock:
            return set(self._slot_of)

    @property
    def lacks_words(self) -> bool:
        """Some products have vectors but no lexical tokens (an index saved before words were indexed).

        Upserting them again adds the words and re-encodes nothing (their texts did not change).
        """
        with self._lock:
            n = len(self._ids)
            return bool(np.any(self._alive[:n] & (self._lexical_hash[:n] == 0)))

    # ----------------------------------------------------------------- updates

    def upsert(self, items: Iterable[IndexItem], *, vectors: np.ndarray | None = None) -> UpsertStats:
        """Add or update products; only new products and changed texts are encoded.

        At a re-import most products differ only in price or stock: those keep their vector and just
        get new filter values. `vectors` (one row per item, e.g. from a cache) skips the encoder.
        """
        items = list(items)
        if vectors is not None and len(vectors) != len(items):
            raise ValueError(f"{len(vectors)} vectors for {len(items)} items")
        latest = {item.product_id: i for i, item in enumerate(items)}  # a repeated id: the last one wins
        rows = list(latest.values())
        hashes = {i: _text_hash(items[i].text) for i in rows}
        lexical_hashes = {i: _text_hash(_lexical_key(items[i])) for i in rows}
        encoded: dict[int, np.ndarray] = {}
        with self._lock:
            stale = [i for i in rows if not self._same_text(items[i].product_id, hashes[i])]
            retokenise = [i for i in rows if not self._same_lexical(items[i].product_id, lexical_hashes[i])]
        documents = {i: _document(items[i]) for i in retokenise}  # tokenised outside the lock too
        while True:  # loops only if another thread removed or changed one of these products meanwhile
            todo = [i for i in stale if i not in encoded]
            encoded.update(zip(todo, self._vectors_for(items, todo, vectors), strict=True))
            with self._lock:
                stale = [i for i in rows if not self._same_text(items[i].product_id, hashes[i])]
                if all(i in encoded for i in stale):
                    block = np.stack([encoded[i] for i in stale]) if stale else None
                    stats = self._apply(items, rows, stale, block, hashes)
                    self._apply_lexical(items, rows, lexical_hashes, documents)
                    break
        self._refresh_lexical()
        return stats

    def _vectors_for(self, items: list[IndexItem], rows: list[int], vectors: np.ndarray | None) -> np.ndarray:
        """Unit vectors for `rows`: taken from `vectors` when given, else encoded (outside the lock)."""
        if vectors is None:
            return self._encode([items[i].text for i in rows])
        chosen = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32)[rows])
        if chosen.shape[1:] != (self.dimension,):
            raise ValueError(f"vectors have shape {chosen.shape}, expected (n, {self.dimension})")
        faiss.normalize_L2(chosen)
        return chosen

    def remove(self, product_ids: Iterable[str]) -> int:
        """Drop products (unknown ids are ignored); returns how many were removed."""
        with self._lock:
            slots = [self._slot_of.pop(pid) for pid in set(product_ids) if pid in self._slot_of]
            if slots:
                self._remove_ids(slots)
                for slot in slots:
                    self._ids[slot] = None
                    self._alive[slot] = False
                    self._lexical_hash[slot] = 0
                self._lexical.clear(slots)
                self._free.extend(slots)
        self._refresh_lexical()
        return len(slots)

    def _same_text(self, product_id: str, text_hash: int) -> bool:
        slot = self._slot_of.get(product_id)
        return slot is not None and int(self._hash[slot]) == text_hash

    def _same_lexical(self, product_id: str, lexical_hash: int) -> bool:
        slot = self._slot_of.get(product_id)
        return slot is not None and int(self._lexical_hash[slot]) == lexical_hash

    def _apply_lexical(
        self,
        items: list[IndexItem],
        rows: list[int],
        hashes: dict[int, int],
        documents: dict[int, tuple[str, str]],
    ) -> None:
        """Store the lexical tokens of rows whose title, text or codes changed (under the lock)."""
        for i in rows:
            slot = self._slot_of[items[i].product_id]
            if int(self._lexical_hash[slot]) != hashes[i]:
                self._lexical.set(slot, *(documents.get(i) or _document(items[i])))
                self._lexical_hash[slot] = np.uint64(hashes[i])

    def _refresh_lexical(self) -> None:
        """Re-build the lexical engine if rows changed: from a snapshot, outside the lock."""
        with self._lock:
            if not self._lexical.stale:
                return
            snapshot = self._lexical.snapshot()
        engine = self._lexical.build(snapshot)
        with self._lock:
            self._lexical.install(engine)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.encoder is None:
            raise RuntimeError("this index has no encoder: pass `vectors=` or give it one (product_encoder.py)")
        vectors = self.encoder.encode(texts)
        if vectors.shape != (len(texts), self.dimension):
            raise ValueError(f"encoder returned {vectors.shape}, expected ({len(texts)}, {self.dimension})")
        return vectors

    def _apply(
        self,
        items: list[IndexItem],
        rows: list[int],
        stale: list[int],
        vectors: np.ndarray | None,
        hashes: dict[int, int],
    ) -> UpsertStats:
        """Write the vectors of `stale` rows and the filter values of all `rows` (under the lock)."""
        replaced = [self._slot_of[items[i].product_id] for i in stale if items[i].product_id in self._slot_of]
        if replaced:
            self._remove_ids(replaced)
        slots = [self._slot(items[i].product_id) for i in rows]
        slot_of_row = dict(zip(rows, slots, strict=True))
        if vectors is not None:
            self._index.add_with_ids(vectors, np.asarray([slot_of_row[i] for i in stale], dtype=np.int64))
        for i, slot in slot_of_row.items():
            self._set_metadata(slot, items[i], hashes[i])
        return UpsertStats(
            added=len(stale) - len(replaced),
            text_changed=len(replaced),
            metadata_only=len(rows) - len(stale),
        )

    def _slot(self, product_id: str) -> int:
        """The product's slot, allocating (and growing the arrays) for a new product."""
        slot = self._slot_of.get(product_id)
        if slot is not None:
            return slot
        if self._free:
            slot = self._free.pop()
            self._ids[slot] = product_id
        else:
            slot = len(self._ids)
            self._ids.append(product_id)
            self._reserve(slot + 1)
        self._slot_of[product_id] = slot
        return slot

    def _reserve(self, needed: int) -> None:
        """Grow the per-slot arrays geometrically, so adding n products costs O(n) copies."""
        if needed <= len(self._alive):
            return
        capacity = max(needed, 2 * len(self._alive), 64)
        self._price = _grown(self._price, capacity, np.nan)
        self._in_stock = _grown(self._in_stock, capacity, False)
        self._alive = _grown(self._alive, capacity, False)
        self._hash = _grown(self._hash, capacity, 0)
        self._lexical_hash = _grown(self._lexical_hash, capacity, 0)
        self._brand = _grown(self._brand, capacity, -1)
        self._paths = _grown(self._paths, capacity, -1)

    def _code(self, vocabulary: dict[str, int], value: str) -> int:
        return vocabulary.setdefault(_key(value), len(vocabulary))

    def _set_metadata(self, slot: int, item: IndexItem, text_hash: int) -> None:
        path = [self._code(self._categories, c) for c in item.category_path]
        if len(path) > self._paths.shape[1]:
            wider = np.full((len(self._paths), len(path)), -1, dtype=np.int32)
            wider[:, : self._paths.shape[1]] = self._paths
            self._paths = wider
        self._paths[slot] = -1
        self._paths[slot, : len(path)] = path
        self._price[slot] = np.nan if item.min_price is None else float(item.min_price)
        self._in_stock[slot] = bool(item.in_stock)
        self._brand[slot] = -1 if not item.brand else self._code(self._brands, item.brand)
        self._hash[slot] = np.uint64(text_hash)
        self._alive[slot] = True

    # ----------------------------------------------------------------- search

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        max_price: float | None = None,
        min_price: float | None = None,
        category: str | Iterable[str] | None = None,
        brand: str | Iterable[str] | None = None,
        in_stock_only: bool = False,
        among: Iterable[str] | None = None,
        ranking: Ranking = DEFAULT_RANKING,
    ) -> list[SearchHit]:
        """The k products that best match `query` among those passing every filter, best first.

        Ranked by meaning and by words together (`hybrid_ranking.py`); `ranking` switches parts off
        for measurements. `category` matches a product in that category or any of its sub-categories;
        `brand` and `category` accept one value or several (any of them); `among` keeps only the
        given products. A product without a price never passes a price filter. A hit's score is the
        cosine similarity of its vector and the query's, whatever ranked it.
        """
        vector = self._encode([query])[0] if ranking.dense else None
        return self.search_encoded(
            query,
            vector,
            k,
            max_price=max_price,
            min_price=min_price,
            category=category,
            brand=brand,
            in_stock_only=in_stock_only,
            among=among,
            ranking=ranking,
        )

    def search_encoded(
        self,
        query: str,
        vector: np.ndarray | None,
        k: int = 10,
        *,
        max_price: float | None = None,
        min_price: float | None = None,
        category: str | Iterable[str] | None = None,
        brand: str | Iterable[str] | None = None,
        in_stock_only: bool = False,
        among: Iterable[str] | None = None,
        ranking: Ranking = DEFAULT_RANKING,
    ) -> list[SearchHit]:
        """`search` with the query's vector given (None: words only): everything after the encoder."""
        engine = self._lexical.engine  # one consistent vocabulary for this query
        terms = query_terms(query, measures=ranking.measures, vocabulary=engine.vocabulary if ranking.typos else None)
        dense_query = None if vector is None else self._query_vector(vector)
        with self._lock:
            rows = len(self._ids)
            if not self._slot_of or k <= 0:
                return []
            mask = self._mask(max_price, min_price, category, brand, in_stock_only, among)
            if mask is not None and not mask.any():
                return []
            depth = max(k, ranking.depth)
            dense = self._dense(dense_query, depth, mask) if dense_query is not None and ranking.dense else []
            live = mask if mask is not None else self._alive[:rows]  # a removed row may wait for the next build
            lexical = self._lexical.top(terms.tokens, depth, rows, live) if ranking.lexical else []
            fused = fuse(dense, lexical, ranking)
            features = self._features(fused, query, terms, ranking) if ranking.understanding else {}
            best = ranked(fused, features, ranking)[:k]
            cosine = dict(dense)
            return [self._hit(row, self._score(row, score, cosine, dense_query)) for row, score in best]

    def search_vector(
        self,
        vector: np.ndarray,
        k: int = 10,
        *,
        max_price: float | None = None,
        min_price: float | None = None,
        category: str | Iterable[str] | None = None,
        brand: str | Iterable[str] | None = None,
        in_stock_only: bool = False,
        strategy: str = "selector",
    ) -> list[SearchHit]:
        """Dense search only, for an encoded query; `strategy` "oversample" exists for the benchmark."""
        query = self._query_vector(vector)
        with self._lock:
            if self._index.ntotal == 0 or k <= 0:
                return []
            mask = self._mask(max_price, min_price, category, brand, in_stock_only)
            if mask is not None and not mask.any():
                return []
            return [self._hit(row, score) for row, score in self._dense(query, k, mask, strategy)]

    def _hit(self, row: int, score: float) -> SearchHit:
        product_id = self._ids[row]
        if product_id is None:  # searches only see live rows (the mask, faiss ids, non-empty word rows)
            raise RuntimeError(f"slot {row} is free but was found")
        return SearchHit(product_id, score)

    def _query_vector(self, vector: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(1, self.dimension))

    def _dense(
        self, query: np.ndarray, k: int, mask: np.ndarray | None, strategy: str = "selector"
    ) -> list[tuple[int, float]]:
        """The k rows nearest to `query` among `mask` (all if None), best first (under the lock)."""
        total = self._index.ntotal
        if total == 0:
            return []
        if mask is None:
            scores, slots = self._index.search(query, min(k, total))
        else:
            matching = int(mask.sum())
            k = min(k, matching)
            if strategy == "oversample":
                scores, slots = self._search_oversampled(query, k, mask, matching)
            else:
                scores, slots = self._search_selected(query, k, mask)
        return [(int(s), float(d)) for d, s in zip(scores[0], slots[0], strict=True) if s >= 0]

    def _features(
        self, fused: dict[int, float], query: str, terms: QueryTerms, ranking: Ranking
    ) -> dict[int, Features]:
        """What query understanding says about each fused candidate (O(candidates), under the lock)."""
        brands = self._brands_named(query) if ranking.brand_match else set()
        codes = set(terms.codes) if ranking.codes else set()
        opposites = bool(ranking.antonym_penalty) and any(word in ANTONYMS for word in terms.content)
        features = {}
        for row in fused:
            title = self._lexical.title_words(row)
            flags = (
                bool(codes) and bool(codes & self._lexical.words(row)),
                bool(ranking.title_match) and bool(terms.content) and terms.content <= title,
                bool(ranking.head_match) and terms.head in title,
                bool(brands) and int(self._brand[row]) in brands,
                opposites and contradicts(terms.content, title),
            )
            if any(flags):
                features[row] = Features(*flags)
        return features

    def _brands_named(self, query: str) -> set[int]:
        """Codes of the catalogue's brands the query names ("north peak", "NorthPeak"), one to three words."""
        words = re.findall(r"[0-9a-z]+", query.casefold())
        found = set()
        for size in (1, 2, 3):
            for start in range(len(words) - size + 1):
                code = self._brands.get("".join(words[start : start + size]))
                if code is not None:
                    found.add(code)
        return found

    def _score(self, row: int, fused: float, cosine: dict[int, float], query: np.ndarray | None) -> float:
        """The hit's cosine similarity (callers compare it with fixed bars); the fused score without a vector."""
        if query is None:
            return fused
        if row in cosine:
            return cosine[row]
        return float(self._index.reconstruct(row) @ query[0])

    def count(
        self,
        *,
        max_price: float | None = None,
        min_price: float | None = None,
        category: str | Iterable[str] | None = None,
        brand: str | Iterable[str] | None = None,
        in_stock_only: bool = False,
    ) -> int:
        """How many products pass the filters ("we have 12 jackets under $100")."""
        with self._lock:
            mask = self._mask(max_price, min_price, category, brand, in_stock_only)
            return len(self) if mask is None else int(mask.sum())

    def _mask(
        self,
        max_price: float | None,
        min_price: float | None,
        category: str | Iterable[str] | None,
        brand: str | Iterable[str] | None,
        in_stock_only: bool,
        among: Iterable[str] | None = None,
    ) -> np.ndarray | None:
        """Slots passing the filters, or None when there are no filters."""
        filtered = max_price is not None or min_price is not None or category is not None or brand is not None
        if not (filtered or in_stock_only or among is not None):
            return None
        n = len(self._ids)
        mask = self._alive[:n].copy()
        if among is not None:
            allowed = np.zeros(n, dtype=bool)
            allowed[[self._slot_of[pid] for pid in among if pid in self._slot_of]] = True
            mask &= allowed
        if max_price is not None:
            mask &= self._price[:n] <= max_price
        if min_price is not None:
            mask &= self._price[:n] >= min_price
        if in_stock_only:
            mask &= self._in_stock[:n]
        if brand is not None:
            codes = [self._brands[k] for k in map(_key, _as_set(brand)) if k in self._brands]
            mask &= np.isin(self._brand[:n], codes)
        if category is not None:
            codes = [self._categories[k] for k in map(_key, _as_set(category)) if k in self._categories]
            mask &= np.isin(self._paths[:n], codes).any(axis=1)
        return mask

    def _search_selected(self, query: np.ndarray, k: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """faiss scores only the rows set in `mask` (a bitmap over faiss ids)."""
        bitmap = np.packbits(mask, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
        params = faiss.SearchParameters()
        params.sel = selector
        return self._index.search(query, k, params=params)

    def _search_oversampled(
        self, query: np.ndarray, k: int, mask: np.ndarray, matching: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Search more rows than asked and drop those failing the mask; the selector if too few pass."""
        total = self._index.ntotal
        wanted = min(total, max(4 * k, int(np.ceil(2 * k * total / matching))))
        scores, slots = self._index.search(query, wanted)
        keep = slots[0] >= 0
        keep[keep] = mask[slots[0][keep]]
        if keep.sum() < k and wanted < total:
            return self._search_selected(query, k, mask)
        return scores[:, keep][:, :k], slots[:, keep][:, :k]

    # ----------------------------------------------------------------- persistence

    def save(self, directory: str | Path) -> Path:
        """Write the index to `directory` atomically: readers see the old or the new one, never half.

        Each save writes new files named by a generation and then replaces the small manifest
        CURRENT.json with os.replace, the one atomic step; older generations are deleted after.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        generation = f"{time.time_ns():x}-{uuid.uuid4().hex[:6]}"
        index_file, meta_file = f"index-{generation}.faiss", f"meta-{generation}.npz"
        with self._lock:
            faiss.write_index(self._index, str(directory / index_file))
            with open(directory / meta_file, "wb") as f:
                np.savez(f, allow_pickle=False, **self._arrays())
            manifest = {
                "format": FORMAT_VERSION,
                "model": getattr(self.encoder, "name", MODEL_NAME),
                "dimension": self.dimension,
                "count": len(self),
                "index_file": index_file,
                "meta_file": meta_file,
                "brands": list(self._brands),
                "categories": list(self._categories),
            }
        for name in (index_file, meta_file):
            _fsync(directory / name)
        previous = _manifest_files(directory)
        temporary = directory / f".{MANIFEST}.{generation}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(manifest, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, directory / MANIFEST)
        _fsync(directory)
        # The previous generation stays until the next save: a reader that has just read the old
        # manifest in another process can still open its files.
        self._delete_old_generations(directory, keep={index_file, meta_file, MANIFEST, *previous})
        return directory

    def _remove_ids(self, slots: list[int]) -> None:
        # faiss's stub has only the C++ signature (an IDSelector); its Python wrapper takes the ids.
        self._index.remove_ids(np.asarray(slots, dtype=np.int64))  # type: ignore[arg-type]

    def _arrays(self) -> dict[str, np.ndarray]:
        n = len(self._ids)
        return {
            "product_ids": np.asarray([pid or "" for pid in self._ids], dtype=str),
            "price": self._price[:n],
            "in_stock": self._in_stock[:n],
            "alive": self._alive[:n],
            "text_hash": self._hash[:n],
            "brand": self._brand[:n],
            "paths": self._paths[:n],
            "lexical": self._lexical.to_array(),
            "lexical_hash": self._lexical_hash[:n],
        }

    @staticmethod
    def _delete_old_generations(directory: Path, keep: set[str]) -> None:
        for path in directory.iterdir():
            stale = path.name.startswith(("index-", "meta-", f".{MANIFEST}.")) and path.name not in keep
            if stale and path.is_file():
                path.unlink(missing_ok=True)

    @classmethod
    def open(cls, directory: str | Path, encoder: TextEncoder) -> SemanticIndex:
        """The index saved in `directory` if it was built with `encoder`'s model, else an empty one.

        An empty index is rebuilt from the graph by ProductGraph.open: what a change of encoder
        (SEMANTIC_ENCODER, a new model version) or of the index format needs.
        """
        if (Path(directory) / MANIFEST).exists():
            try:
                return cls.load(directory, encoder)
            except ValueError as error:
                logger.warning("%s: starting a new index", error)
        return cls(encoder)

    @classmethod
    def load(cls, directory: str | Path, encoder: TextEncoder | None = None) -> SemanticIndex:
        """Read an index written by `save`; refuses one built with a different model."""
        directory = Path(directory)
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") not in READABLE_FORMATS:
            raise ValueError(f"{directory}: index format {manifest.get('format')!r}, expected {FORMAT_VERSION}")
        if encoder is not None and manifest["model"] != getattr(encoder, "name", MODEL_NAME):
            raise ValueError(f"{directory}: built with {manifest['model']}, not {encoder.name}: rebuild it")
        index = cls(encoder, dimension=manifest["dimension"])
        loaded = faiss.read_index(str(directory / manifest["index_file"]))
        if not isinstance(loaded, faiss.IndexIDMap2):
            raise ValueError(f"{directory}: {manifest['index_file']} is no id-mapped index: rebuild it")
        index._index = loaded
        with np.load(directory / manifest["meta_file"], allow_pickle=False) as meta:
            index._restore({name: meta[name] for name in meta.files})
        index._brands = {name: code for code, name in enumerate(manifest["brands"])}
        index._categories = {name: code for code, name in enumerate(manifest["categories"])}
        if index._index.ntotal != len(index):
            raise ValueError(f"{directory}: {index._index.ntotal} vectors for {len(index)} products")
        return index

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        alive = arrays["alive"].astype(bool)
        self._ids = [pid if live else None for pid, live in zip(arrays["product_ids"].tolist(), alive, strict=True)]
        self._slot_of = {pid: slot for slot, pid in enumerate(self._ids) if pid is not None}
        self._free = [slot for slot, pid in enumerate(self._ids) if pid is None]
        self._price = arrays["price"].astype(np.float64)
        self._in_stock = arrays["in_stock"].astype(bool)
        self._alive = arrays["alive"].astype(bool)
        self._hash = arrays["text_hash"].astype(np.uint64)
        self._brand = arrays["brand"].astype(np.int32)
        paths = arrays["paths"].astype(np.int32)
        self._paths = paths if paths.ndim == 2 and paths.shape[1] else np.full((len(self._ids), 1), -1, np.int32)
        if "lexical" in arrays:
            self._lexical_hash = arrays["lexical_hash"].astype(np.uint64)
            self._lexical.restore(arrays["lexical"], len(self._ids))
            self._refresh_lexical()
        else:
            self._lexical_hash = np.zeros(len(self._ids), dtype=np.uint64)


def search_phrase(index: SemanticIndex, phrase: str, k: int = 10, **filters: Any) -> tuple[list[SearchHit], Filters]:
    """Search a shopper's phrase: price/stock words become filters, the rest is the semantic query.

    Explicit `filters` (category, brand, or prices from a form) win over what the phrase says.
    """
    query, parsed = parse_filters(phrase)
    arguments = {**parsed.as_search_kwargs(), **filters}
    return index.search(query or phrase, k, **arguments), parsed
