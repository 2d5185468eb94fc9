"""The catalogue's records: what importers produce, what the graph stores return, what clients read.

One shape for both stores (embedded and Neo4j) and every importer, so an answer never depends on
where the catalogue came from or which database holds it. Property types are the ones both
databases support: strings, numbers, booleans and lists of strings (Neo4j has no map properties,
so variant options are two parallel lists).

These types live in `contracts` because three sides share them: the knowledge-graph service
(importers, stores, search), the action server reading its answers (service_clients.catalogue,
actions.products) and the recommendations/pricing backends. None of them needs the others'
code for it. The JSON form is in contracts.catalogue_wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Relations between products (node -> node), as in docs/knowledge-graph.md.
PRODUCT_RELATIONS = ("COMPATIBLE_WITH", "SIMILAR_TO", "ACCESSORY_OF", "REPLACED_BY")

# Spelled-out clothing sizes -> the letter codes shoppers type ("have you got it in XL?").
_SIZE_CODES = {
    "xxs": "XXS",
    "extra extra small": "XXS",
    "xs": "XS",
    "x-small": "XS",
    "extra small": "XS",
    "s": "S",
    "small": "S",
    "m": "M",
    "medium": "M",
    "l": "L",
    "large": "L",
    "xl": "XL",
    "x-large": "XL",
    "extra large": "XL",
    "xxl": "XXL",
    "2xl": "XXL",
    "xx-large": "XXL",
    "extra extra large": "XXL",
    "xxxl": "XXXL",
    "3xl": "XXXL",
    "xxx-large": "XXXL",
}


def normalise_colour(value: str) -> str | None:
    """Colours compare case-insensitively, so they are kept lowercase with single spaces."""
    cleaned = " ".join(value.split()).lower()
    return cleaned or None


def normalise_size(value: str) -> str | None:
    """Letter sizes become their code ("Extra Large" -> "XL"); other sizes ("32", "Regular") stay as written.

    Importers store `Variant.size` this way and the action server reads shoppers' sizes this way, so
    both sides compare the same strings."""
    cleaned = " ".join(value.split())
    if not cleaned:
        return None
    return _SIZE_CODES.get(cleaned.lower(), cleaned)


@dataclass(frozen=True)
class Category:
    """A node of the category tree; `id` is the slug path ("apparel/shirts"), `parent_id` its parent's."""

    id: str
    name: str
    parent_id: str | None = None


@dataclass(frozen=True)
class Brand:
    id: str
    name: str


@dataclass(frozen=True)
class Variant:
    """One buyable SKU. `colour` and `size` are normalised copies of the matching options."""

    sku: str
    product_id: str
    title: str
    price: float
    stock: int
    compare_at_price: float | None = None
    colour: str | None = None
    size: str | None = None
    option_names: tuple[str, ...] = ()
    option_values: tuple[str, ...] = ()

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    def option(self, name: str) -> str | None:
        lowered = name.lower()
        for option_name, value in zip(self.option_names, self.option_values, strict=False):
            if option_name.lower() == lowered:
                return value
        return None


@dataclass(frozen=True)
class Attribute:
    """A named value a product has ("material" = "cotton"); shared between products as one node."""

    name: str
    value: str

    @property
    def id(self) -> str:
        return f"{self.name.lower()}={self.value.lower()}"


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    description: str = ""
    product_type: str = ""
    brand_id: str | None = None
    category_id: str | None = None
    tags: tuple[str, ...] = ()
    image_url: str = ""
    currency: str = "USD"
    attributes: tuple[Attribute, ...] = ()
    variants: tuple[Variant, ...] = ()

    @property
    def min_price(self) -> float | None:
        return min((v.price for v in self.variants), default=None)

    @property
    def max_price(self) -> float | None:
        return max((v.price for v in self.variants), default=None)

    @property
    def total_stock(self) -> int:
        return sum(max(v.stock, 0) for v in self.variants)


@dataclass(frozen=True)
class ProductLink:
    """A relation between two products, e.g. a case COMPATIBLE_WITH a phone; `score` for SIMILAR_TO."""

    kind: str
    source_id: str
    target_id: str
    score: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in PRODUCT_RELATIONS:
            raise ValueError(f"unknown product relation {self.kind!r}; expected one of {PRODUCT_RELATIONS}")


@dataclass(frozen=True)
class Policy:
    """A policy or FAQ entry the assistant can quote; `topics` are the words it is found by."""

    id: str
    title: str
    answer: str
    topics: tuple[str, ...] = ()


@dataclass
class Catalogue:
    """Everything one import brings: written to a store in one go, in dependency order."""

    products: list[Product] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    brands: list[Brand] = field(default_factory=list)
    links: list[ProductLink] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)

    def variant_count(self) -> int:
        return sum(len(p.variants) for p in self.products)


def category_path(category_id: str | None, parents: Mapping[str, str | None] | None = None) -> tuple[str, ...]:
    """The category's ancestors and itself, root first, so a filter on "apparel" finds "apparel/shirts".

    With `parents` (id -> parent id) the tree is walked; without, the slug path is split on "/".
    """
    if not category_id:
        return ()
    if parents is None:
        parts = category_id.split("/")
        return tuple("/".join(parts[: i + 1]) for i in range(len(parts)))
    path: list[str] = []
    current: str | None = category_id
    while current and current not in path:  # a cycle in bad data must not hang an import
        path.append(current)
        current = parents.get(current)
    return tuple(reversed(path))


# --------------------------------------------------------------------------- what the graph answers


@dataclass(frozen=True)
class ProductSummary:
    """A product as lists show it: one row per product, prices and stock over its variants."""

    id: str
    title: str
    brand: str | None
    product_type: str
    min_price: float | None
    max_price: float | None
    currency: str
    in_stock: bool
    total_stock: int
    image_url: str
    category_path: tuple[str, ...]


@dataclass(frozen=True)
class ProductDetails:
    summary: ProductSummary
    description: str
    tags: tuple[str, ...]
    categories: tuple[Category, ...]  # root first
    attributes: tuple[Attribute, ...]
    variants: tuple[Variant, ...]

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def title(self) -> str:
        return self.summary.title


@dataclass(frozen=True)
class RelatedProduct:
    product: ProductSummary
    relation: str
    score: float


@dataclass(frozen=True)
class ProductFilter:
    category: str | None = None
    brand: str | None = None
    max_price: float | None = None
    min_price: float | None = None
    in_stock_only: bool = False

    def params(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "brand": self.brand,
            "max_price": self.max_price,
            "min_price": self.min_price,
            "in_stock_only": self.in_stock_only,
        }


@dataclass(frozen=True)
class Candidate:
    product: ProductSummary
    score: float  # 0..1, higher is a better match


@dataclass(frozen=True)
class Resolution:
    """Which product a piece of text names: `best` when clear, `ambiguous` when the shopper must choose."""

    best: ProductSummary | None
    candidates: list[Candidate] = field(default_factory=list)
    ambiguous: bool = False


@dataclass(frozen=True)
class SearchResult:
    hits: list[Candidate]
    filters: ProductFilter
    query: str
