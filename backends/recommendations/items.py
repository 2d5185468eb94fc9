"""Item metadata the recommender needs, from the knowledge graph (or a `Catalogue` in memory).

Kept to plain fields (id, category, text, links) so a shop can feed any catalogue, and so the
offline benchmark can build the same records from invoice descriptions. Both ways in — a
`contracts.catalogue.Catalogue` and the graph service's product details — go through `make_item`,
so an item's content text is the same wherever it came from.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from contracts.catalogue import Catalogue, ProductDetails, ProductLink

WORD = re.compile(r"[a-z0-9]+")
SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class ItemInfo:
    id: str
    title: str = ""
    category_id: str | None = None
    category_name: str | None = None
    text: str = ""
    skus: tuple[str, ...] = ()
    price: float | None = None  # lowest variant price, for callers that show it

    @property
    def keywords(self) -> frozenset[str]:
        """Lower-case words of title, category and text, used by the time/season boost rule."""
        words = f"{self.title} {self.category_id or ''} {self.text}".lower()
        return frozenset(WORD.findall(words))


@dataclass
class ItemCatalogue:
    """Items plus the product links that make cart context possible (accessories, alternatives)."""

    items: list[ItemInfo]
    accessories: dict[str, list[str]] = field(default_factory=dict)  # product -> its accessories
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # product -> similar/replacement

    def to_json(self) -> dict[str, Any]:
        """The snapshot form (a JSON file, not a pickle: it is read back by a long-running service)."""
        return {
            "version": SNAPSHOT_VERSION,
            "items": [{**asdict(item), "skus": list(item.skus)} for item in self.items],
            "accessories": self.accessories,
            "alternatives": self.alternatives,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemCatalogue:
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"item snapshot version {data.get('version')!r}, expected {SNAPSHOT_VERSION}")
        items = [ItemInfo(**{**item, "skus": tuple(item["skus"])}) for item in data["items"]]
        return cls(items, dict(data["accessories"]), dict(data["alternatives"]))

    def fingerprint(self) -> str:
        """Changes whenever anything the model is built from changes (an import, a price, a link)."""
        canonical = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def make_item(
    product_id: str,
    title: str,
    product_type: str,
    category_id: str | None,
    category_name: str | None,
    brand: str | None,
    tags: Iterable[str],
    attributes: Iterable[tuple[str, str]],
    skus: Sequence[str],
    price: float | None,
) -> ItemInfo:
    """Content text = title, type, category path, brand, tags and attributes (what shoppers compare on)."""
    path = (category_id or "").replace("/", " ").replace("-", " ")
    text = " ".join([title, product_type, path, brand or "", *tags, " ".join(f"{n} {v}" for n, v in attributes)])
    return ItemInfo(product_id, title, category_id, category_name, text, tuple(skus), price)


def link_maps(links: Iterable[ProductLink]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(accessories, alternatives): product -> its accessories, product -> similar or replacement."""
    accessories: dict[str, list[str]] = {}
    alternatives: dict[str, list[str]] = {}
    for link in links:
        if link.kind in ("ACCESSORY_OF", "COMPATIBLE_WITH"):
            accessories.setdefault(link.target_id, []).append(link.source_id)
        elif link.kind in ("SIMILAR_TO", "REPLACED_BY"):
            alternatives.setdefault(link.source_id, []).append(link.target_id)
            if link.kind == "SIMILAR_TO":
                alternatives.setdefault(link.target_id, []).append(link.source_id)
    return accessories, alternatives


def from_catalogue(catalogue: Catalogue) -> ItemCatalogue:
    brands = {b.id: b.name for b in catalogue.brands}
    categories = {c.id: c.name for c in catalogue.categories}
    items = [
        make_item(
            product.id,
            product.title,
            product.product_type,
            product.category_id,
            categories.get(product.category_id or ""),
            brands.get(product.brand_id, product.brand_id) if product.brand_id else None,  # as the graph stores it
            product.tags,
            ((a.name, a.value) for a in product.attributes),
            [v.sku for v in product.variants],
            product.min_price,
        )
        for product in catalogue.products
    ]
    return ItemCatalogue(items, *link_maps(catalogue.links))


def from_details(products: Iterable[ProductDetails], links: Iterable[ProductLink]) -> ItemCatalogue:
    """The same records from the knowledge-graph service's product details (its /catalogue pages)."""
    items = []
    for product in products:
        summary = product.summary
        leaf = summary.category_path[-1] if summary.category_path else None  # the path runs root first
        names = {category.id: category.name for category in product.categories}
        items.append(
            make_item(
                summary.id,
                summary.title,
                summary.product_type,
                leaf,
                names.get(leaf or ""),
                summary.brand,
                product.tags,
                ((a.name, a.value) for a in product.attributes),
                [v.sku for v in product.variants],
                summary.min_price,
            )
        )
    return ItemCatalogue(items, *link_maps(links))


def plain_items(ids: Iterable[str], texts: dict[str, str] | None = None) -> ItemCatalogue:
    """Items known only by id (and optionally a description), e.g. from interaction logs."""
    texts = texts or {}
    return ItemCatalogue([ItemInfo(id=i, title=texts.get(i, ""), text=texts.get(i, "")) for i in ids])
