"""Item metadata the recommender needs, taken from the knowledge-graph catalogue.

Kept to plain fields (id, category, text, links) so a shop can feed any catalogue, and so the
offline benchmark can build the same records from invoice descriptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowledge_graph.model import Catalogue

WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class ItemInfo:
    id: str
    title: str = ""
    category_id: str | None = None
    category_name: str | None = None
    text: str = ""
    skus: tuple[str, ...] = ()

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


def from_catalogue(catalogue: Catalogue) -> ItemCatalogue:
    """Content text = title, type, category path, brand, tags and attributes (what shoppers compare on)."""
    brands = {b.id: b.name for b in catalogue.brands}
    categories = {c.id: c.name for c in catalogue.categories}
    items = []
    for product in catalogue.products:
        path = (product.category_id or "").replace("/", " ").replace("-", " ")
        attributes = " ".join(f"{a.name} {a.value}" for a in product.attributes)
        text = " ".join(
            [
                product.title,
                product.product_type,
                path,
                brands.get(product.brand_id or "", ""),
                *product.tags,
                attributes,
            ]
        )
        items.append(
            ItemInfo(
                id=product.id,
                title=product.title,
                category_id=product.category_id,
                category_name=categories.get(product.category_id or ""),
                text=text,
                skus=tuple(v.sku for v in product.variants),
            )
        )
    accessories: dict[str, list[str]] = {}
    alternatives: dict[str, list[str]] = {}
    for link in catalogue.links:
        if link.kind in ("ACCESSORY_OF", "COMPATIBLE_WITH"):
            accessories.setdefault(link.target_id, []).append(link.source_id)
        elif link.kind in ("SIMILAR_TO", "REPLACED_BY"):
            alternatives.setdefault(link.source_id, []).append(link.target_id)
            if link.kind == "SIMILAR_TO":
                alternatives.setdefault(link.target_id, []).append(link.source_id)
    return ItemCatalogue(items, accessories, alternatives)


def demo_items() -> ItemCatalogue:
    from knowledge_graph.importers.demo import load_demo_catalogue

    return from_catalogue(load_demo_catalogue().catalogue)


def plain_items(ids: Iterable[str], texts: dict[str, str] | None = None) -> ItemCatalogue:
    """Items known only by id (and optionally a description), e.g. from interaction logs."""
    texts = texts or {}
    return ItemCatalogue([ItemInfo(id=i, title=texts.get(i, ""), text=texts.get(i, "")) for i in ids])
