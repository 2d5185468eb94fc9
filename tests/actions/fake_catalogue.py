"""An in-memory stand-in for service_clients.catalogue.CatalogueClient, for the actions' unit tests.

Same methods and result types as the real client; matching is deliberately simple (words of a title
in the text) but follows the service's contract: a clear name gives `best`, several equally good
matches are `ambiguous`, prices in a search phrase become filters. `down=True` makes every call
raise CatalogueUnavailable, like a stopped service. `calls` records what was asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from contracts.catalogue import (
    Attribute,
    Candidate,
    Category,
    Policy,
    ProductDetails,
    ProductFilter,
    ProductSummary,
    RelatedProduct,
    Resolution,
    SearchResult,
    Variant,
)
from service_clients.catalogue import CatalogueUnavailable

FILLER = {
    "the", "a", "an", "is", "it", "does", "do", "in", "of", "for", "me", "about", "tell", "how", "much",
    "what", "whats", "show", "you", "have", "any", "come", "stock", "my", "this", "that", "one", "under",
    "something", "i", "im", "looking", "find", "and", "with", "to", "are", "fit", "which",
}  # fmt: skip
UNDER_PRICE = re.compile(r"\bunder\s*\$?\s*(\d+(?:\.\d+)?)")


def words(text: str) -> set[str]:
    found = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word not in FILLER:
            found.add(word[:-1] if word.endswith("s") and len(word) > 3 else word)
    return found


def variant(product_id: str, size: str | None, colour: str | None, price: float, stock: int, **extra) -> Variant:
    options = [(n, v) for n, v in (("Size", size), ("Color", colour)) if v]
    return Variant(
        sku=f"{product_id}-{size or ''}-{colour or ''}".lower(),
        product_id=product_id,
        title=" / ".join(v for _, v in options) or "Default Title",
        price=price,
        stock=stock,
        colour=colour.lower() if colour else None,
        size=size,
        option_names=tuple(n for n, _ in options),
        option_values=tuple(v for _, v in options),
        **extra,
    )


def product(
    product_id: str,
    title: str,
    variants: Sequence[Variant],
    *,
    brand: str | None = None,
    product_type: str = "",
    description: str = "",
    attributes: Sequence[tuple[str, str]] = (),
    category: str | None = None,
) -> ProductDetails:
    prices = [v.price for v in variants]
    categories = (Category(category.lower().replace(" ", "-"), category),) if category else ()
    summary = ProductSummary(
        id=product_id,
        title=title,
        brand=brand,
        product_type=product_type,
        min_price=min(prices) if prices else None,
        max_price=max(prices) if prices else None,
        currency="USD",
        in_stock=any(v.stock > 0 for v in variants),
        total_stock=sum(max(v.stock, 0) for v in variants),
        image_url="",
        category_path=tuple(c.id for c in categories),
    )
    return ProductDetails(
        summary=summary,
        description=description,
        tags=(),
        categories=categories,
        attributes=tuple(Attribute(n, v) for n, v in attributes),
        variants=tuple(variants),
    )


@dataclass
class FakeCatalogue:
    products_by_id: dict[str, ProductDetails] = field(default_factory=dict)
    links: list[tuple[str, str, str, float]] = field(default_factory=list)  # (kind, source, target, score)
    policies: list[Policy] = field(default_factory=list)
    down: bool = False
    calls: list[tuple[str, object]] = field(default_factory=list)

    def add(self, *details: ProductDetails) -> FakeCatalogue:
        for item in details:
            self.products_by_id[item.id] = item
        return self

    def link(self, kind: str, source: str, target: str, score: float = 1.0) -> FakeCatalogue:
        self.links.append((kind, source, target, score))
        return self

    def _call(self, name: str, argument: object) -> None:
        self.calls.append((name, argument))
        if self.down:
            raise CatalogueUnavailable("knowledge-graph service: connection refused (fake)")

    # -- the client's methods ------------------------------------------------------------------

    async def product(self, product_id: str) -> ProductDetails | None:
        found = await self.products([product_id])
        return found[0] if found else None

    async def products(self, product_ids: Sequence[str]) -> list[ProductDetails]:
        if not product_ids:
            return []
        self._call("products", list(product_ids))
        return [self.products_by_id[i] for i in dict.fromkeys(product_ids) if i in self.products_by_id]

    async def list_products(self, filters: ProductFilter = ProductFilter(), limit: int = 10) -> list[ProductSummary]:
        self._call("list_products", filters)
        found = [d.summary for d in self.products_by_id.values() if _passes(d.summary, filters)]
        return sorted(found, key=lambda s: s.title)[:limit]

    async def related(
        self,
        product_id: str,
        kind: str,
        *,
        incoming: bool = False,
        filters: ProductFilter = ProductFilter(),
        limit: int = 5,
    ) -> list[RelatedProduct]:
        self._call("related", (product_id, kind, incoming, filters))
        found = []
        for link_kind, source, target, score in self.links:
            if link_kind != kind:
                continue
            if incoming and target == product_id:
                other = source
            elif not incoming and source == product_id:
                other = target
            else:
                continue
            summary = self.products_by_id[other].summary if other in self.products_by_id else None
            if summary is not None and _passes(summary, filters):
                found.append(RelatedProduct(summary, kind, score))
        return sorted(found, key=lambda r: -r.score)[:limit]

    async def resolve(self, text: str, limit: int = 5) -> Resolution:
        self._call("resolve", text)
        lowered = " ".join(re.findall(r"[a-z0-9]+", text.lower()))
        verbatim = [d.summary for d in self.products_by_id.values() if f" {d.title.lower()} " in f" {lowered} "]
        if verbatim:
            best = max(verbatim, key=lambda s: len(s.title))
            return Resolution(best, [Candidate(best, 1.0)], False)
        asked = words(text)
        scored = []
        for details in self.products_by_id.values():
            title_words = words(details.title + " " + details.summary.product_type)
            overlap = len(asked & title_words)
            if asked and overlap:
                scored.append((overlap / len(asked), details.summary))
        scored.sort(key=lambda pair: (-pair[0], pair[1].title))
        candidates = [Candidate(s, score) for score, s in scored[:limit]]
        if not candidates:
            return Resolution(None, [], False)
        top = candidates[0].score
        if len([c for c in candidates if c.score == top]) > 1:
            return Resolution(None, candidates, True)
        return Resolution(candidates[0].product if top >= 0.5 else None, candidates, False)

    async def search(self, text: str, k: int = 5, filters: ProductFilter | None = None) -> SearchResult:
        self._call("search", text)
        filters = filters or ProductFilter()
        under = UNDER_PRICE.search(text.lower())
        if under:
            filters = replace(filters, max_price=float(under.group(1)))
        query = UNDER_PRICE.sub("", text.lower()).strip()
        asked = words(query)
        hits = []
        for details in self.products_by_id.values():
            about = words(" ".join([details.title, details.summary.product_type, details.description, *details.tags]))
            overlap = len(asked & about)
            if overlap and _passes(details.summary, filters):
                hits.append(Candidate(details.summary, overlap / max(len(asked), 1)))
        hits.sort(key=lambda c: (-c.score, c.product.title))
        return SearchResult(hits[:k], filters, query)

    async def policy(self, question: str) -> Policy | None:
        self._call("policy", question)
        asked = words(question)
        for policy in self.policies:
            if asked & {w for topic in policy.topics for w in words(topic)}:
                return policy
        return None


def _passes(summary: ProductSummary, filters: ProductFilter) -> bool:
    if filters.max_price is not None and (summary.min_price is None or summary.min_price > filters.max_price):
        return False
    if filters.min_price is not None and (summary.max_price is None or summary.max_price < filters.min_price):
        return False
    if filters.in_stock_only and not summary.in_stock:
        return False
    if filters.brand and summary.brand != filters.brand:
        return False
    return not (filters.category and filters.category not in summary.category_path)


def demo_catalogue() -> FakeCatalogue:
    """A small shop like catalogue_files/demo: shirts, warm jackets, a phone with its case and charger."""
    return (
        FakeCatalogue(
            policies=[
                Policy(
                    "sizing-guide",
                    "Sizing guide",
                    "Our tops run true to size: S fits a 36-38 in chest, M 38-40 in.",
                    ("size", "sizing", "fit", "size guide"),
                ),
                Policy("warranty", "Warranty", "Two years on electronics, one year on clothing.", ("warranty",)),
            ]
        )
        .add(
            product(
                "ocean-blue-shirt",
                "Ocean Blue Shirt",
                [
                    variant("ocean-blue-shirt", "S", None, 49.0, 8),
                    variant("ocean-blue-shirt", "M", None, 49.0, 9),
                    variant("ocean-blue-shirt", "L", None, 49.0, 0),
                    variant("ocean-blue-shirt", "XL", None, 49.0, 11),
                ],
                brand="Tidewater Apparel",
                product_type="Shirt",
                category="Shirts",
                description="A breezy button-down in a deep sea blue, woven from soft brushed cotton. Regular fit.",
                attributes=[("type", "Shirt"), ("material", "cotton")],
            ),
            product(
                "classic-oxford-shirt",
                "Classic Oxford Shirt",
                [
                    variant("classic-oxford-shirt", "M", "White", 59.0, 4),
                    variant("classic-oxford-shirt", "L", "White", 59.0, 2),
                    variant("classic-oxford-shirt", "L", "Blue", 59.0, 0),
                ],
                brand="Tidewater Apparel",
                product_type="Shirt",
                category="Shirts",
                attributes=[("material", "cotton oxford")],
            ),
            product(
                "summit-down-jacket",
                "Summit Down Jacket",
                [
                    variant("summit-down-jacket", "M", "Black", 229.0, 4),
                    variant("summit-down-jacket", "M", "Red", 229.0, 0),
                    variant("summit-down-jacket", "L", "Red", 229.0, 7),
                ],
                brand="Ridgeback Outdoor",
                product_type="Jacket",
                category="Jackets",
                description="Warm 700-fill down jacket for winter hiking. Packs into its own pocket.",
                attributes=[("material", "nylon, down"), ("waterproof", "no"), ("warmth", "very warm")],
            ),
            product(
                "trailhead-fleece-jacket",
                "Trailhead Fleece Jacket",
                [
                    variant("trailhead-fleece-jacket", "M", "Grey", 69.0, 6, compare_at_price=89.0),
                    variant("trailhead-fleece-jacket", "L", "Navy", 69.0, 9, compare_at_price=89.0),
                ],
                brand="Northwind",
                product_type="Jacket",
                category="Jackets",
                description="Warm recycled fleece for hiking and cool evenings.",
                attributes=[("material", "recycled polyester"), ("waterproof", "no")],
            ),
            product(
                "storm-rain-jacket",
                "Storm Rain Jacket",
                [variant("storm-rain-jacket", "M", "Yellow", 89.0, 5)],
                brand="Ridgeback Outdoor",
                product_type="Jacket",
                category="Jackets",
                description="Waterproof, breathable shell for hiking in the rain.",
                attributes=[("waterproof", "yes")],
            ),
            product(
                "aero-12",
                "Aero 12",
                [variant("aero-12", None, "Midnight", 699.0, 9), variant("aero-12", None, "Silver", 799.0, 12)],
                brand="Aero Mobile",
                product_type="Smartphone",
            ),
            product(
                "aero-12-clear-case",
                "Aero 12 Clear Case",
                [variant("aero-12-clear-case", None, None, 19.0, 12)],
                brand="Shellguard",
                product_type="Phone Case",
            ),
            product(
                "kestrel-k5-rugged-case",
                "Kestrel K5 Rugged Case",
                [variant("kestrel-k5-rugged-case", None, "Black", 29.0, 3)],
                brand="Shellguard",
                product_type="Phone Case",
            ),
            product(
                "voltpath-charger",
                "VoltPath 20W USB-C Fast Charger",
                [variant("voltpath-charger", None, "White", 25.0, 20)],
                brand="VoltPath",
                product_type="Charger",
            ),
            product(
                "trailblazer-hiking-boots",
                "Trailblazer Hiking Boots",
                [variant("trailblazer-hiking-boots", "10", None, 149.0, 0)],
                brand="Trailform Footwear",
                product_type="Boots",
            ),
            product(
                "trailblazer-2-hiking-boots",
                "Trailblazer 2 Hiking Boots",
                [variant("trailblazer-2-hiking-boots", "10", None, 159.0, 6)],
                brand="Trailform Footwear",
                product_type="Boots",
            ),
        )
        .link("COMPATIBLE_WITH", "aero-12-clear-case", "aero-12")
        .link("COMPATIBLE_WITH", "voltpath-charger", "aero-12")
        .link("COMPATIBLE_WITH", "kestrel-k5-rugged-case", "kestrel-k5")
        .link("SIMILAR_TO", "summit-down-jacket", "trailhead-fleece-jacket", 0.6)
        .link("SIMILAR_TO", "summit-down-jacket", "storm-rain-jacket", 0.5)
        .link("REPLACED_BY", "trailblazer-hiking-boots", "trailblazer-2-hiking-boots")
    )
