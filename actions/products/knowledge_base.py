"""The product graph as a rasa-sdk KnowledgeBase, so rasa-sdk's mention handling works on it.

Objects are plain dicts (what rasa-sdk expects) of one type, "product", keyed by "id". A shopper
may name a product by its id, its title or any loose mention ("the oceen blu shirt"): `get_object`
lets the knowledge-graph service resolve it. rasa-sdk's ordinal mapping ("1", "2", ... "LAST") is
kept; `normalise_mention` turns what shoppers type ("the second one", "2nd", "the last one",
"number 3") into those keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from rasa_sdk.knowledge_base.storage import KnowledgeBase

from actions.products import texts
from contracts.catalogue import (
    Policy,
    ProductDetails,
    ProductFilter,
    ProductSummary,
    RelatedProduct,
    Resolution,
    SearchResult,
)

OBJECT_TYPE = "product"
KEY_ATTRIBUTE = "id"
# Attributes get_objects turns into hard filters; every other attribute value becomes search text.
FILTER_ATTRIBUTES = ("category", "brand", "max_price", "min_price", "in_stock")
PRODUCT_ATTRIBUTES = (
    "id",
    "name",
    "title",
    "brand",
    "product_type",
    "category",
    "min_price",
    "max_price",
    "currency",
    "in_stock",
    "colour",
    "size",
)

ORDINAL_WORDS = {
    "first": "1",
    "1st": "1",
    "second": "2",
    "2nd": "2",
    "third": "3",
    "3rd": "3",
    "fourth": "4",
    "4th": "4",
    "fifth": "5",
    "5th": "5",
    "sixth": "6",
    "6th": "6",
    "seventh": "7",
    "7th": "7",
    "eighth": "8",
    "8th": "8",
    "ninth": "9",
    "9th": "9",
    "tenth": "10",
    "10th": "10",
    "last": "LAST",
}
_ORDINAL = "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True))
ORDINAL_WORD = re.compile(rf"\b({_ORDINAL})\b")
NUMBERED = re.compile(r"(?:\bnumber|\bno\.?|#|\boption|\bitem|\bproduct)\s*(10|[1-9])\b(?!\d)")
BARE_NUMBER = re.compile(r"^\s*(?:the\s+)?(10|[1-9])\s*[.!?]?\s*$")
# An ordinal that points into a list: "the second one", "2nd option", "the last", "first?".
ORDINAL_MENTION = re.compile(
    rf"\b({_ORDINAL})(?:\s+(?:one|ones|option|item|product|result|choice|pick)\b|\s*(?=[?.!,]|$))"
)


class Catalogue(Protocol):
    """The calls of service_clients.catalogue.CatalogueClient the product actions use (tests pass a fake)."""

    async def product(self, product_id: str) -> ProductDetails | None: ...

    async def products(self, product_ids: Sequence[str]) -> list[ProductDetails]: ...

    async def related(
        self,
        product_id: str,
        kind: str,
        *,
        incoming: bool = ...,
        filters: ProductFilter = ...,
        limit: int = ...,
    ) -> list[RelatedProduct]: ...

    async def policy(self, question: str) -> Policy | None: ...

    async def list_products(self, filters: ProductFilter = ..., limit: int = ...) -> list[ProductSummary]: ...

    async def resolve(self, text: str, limit: int = ...) -> Resolution: ...

    async def search(self, text: str, k: int = ..., filters: ProductFilter | None = ...) -> SearchResult: ...


@dataclass(frozen=True)
class Lookup:
    """Which product a name means: `best` when clear; otherwise `candidates` to choose from."""

    best: ProductSummary | None
    candidates: tuple[ProductSummary, ...] = ()
    ambiguous: bool = False


def normalise_mention(value: str | None) -> str | None:
    """An ordinal key of rasa-sdk's mapping ("2", "LAST") when the mention is one, else the mention as said."""
    if not value:
        return None
    text = " ".join(str(value).lower().split())
    if text in {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "last", "any"}:
        return text.upper()
    numbered = NUMBERED.search(text) or BARE_NUMBER.match(text)
    if numbered:
        return numbered.group(1)
    word = ORDINAL_WORD.search(text)
    if word:
        return ORDINAL_WORDS[word.group(1)]
    return text


def ordinal_mentions_in(text: str) -> list[str]:
    """Every list position a message points at, in order: "the first and the third one" -> ["1", "3"]."""
    lowered = text.lower()
    found: list[tuple[int, str]] = []
    for match in ORDINAL_WORD.finditer(lowered):
        found.append((match.start(), ORDINAL_WORDS[match.group(1)]))
    for match in NUMBERED.finditer(lowered):
        found.append((match.start(), match.group(1)))
    return list(dict.fromkeys(key for _, key in sorted(found)))


def ordinal_mention_in(text: str) -> str | None:
    """A single list pick in free text ("the second one", "number 2", or just "2"), if any."""
    lowered = text.lower()
    match = ORDINAL_MENTION.search(lowered)
    if match:
        return ORDINAL_WORDS[match.group(1)]
    numbered = NUMBERED.search(lowered) or BARE_NUMBER.match(lowered)
    return numbered.group(1) if numbered else None


def product_object(summary: ProductSummary) -> dict[str, Any]:
    """The dict rasa-sdk handles: the summary's fields plus "name" (its representation needs one)."""
    data = asdict(summary)
    data["name"] = summary.title
    data["category"] = summary.category_path[-1] if summary.category_path else None
    return data


def represent(obj: dict[str, Any]) -> str:
    """'Ocean Blue Shirt ($50.00)': what a listed product is called."""
    title = obj.get("title") or obj.get("name") or obj.get("id") or "?"
    if obj.get("min_price") is None:
        return str(title)
    summary = ProductSummary(
        id=str(obj.get("id")),
        title=str(title),
        brand=obj.get("brand"),
        product_type=obj.get("product_type") or "",
        min_price=obj.get("min_price"),
        max_price=obj.get("max_price"),
        currency=obj.get("currency") or "USD",
        in_stock=bool(obj.get("in_stock")),
        total_stock=int(obj.get("total_stock") or 0),
        image_url=obj.get("image_url") or "",
        category_path=tuple(obj.get("category_path") or ()),
    )
    return f"{title} ({texts.price_range(summary)})"


def looks_like_id(identifier: str) -> bool:
    """Product ids are handles/SKUs without spaces; names and mentions have spaces or capitals."""
    return bool(identifier) and " " not in identifier.strip()


def split_attributes(attributes: list[dict[str, Any]]) -> tuple[ProductFilter, list[str]]:
    """rasa-sdk attribute dicts -> hard filters (price, brand, category, stock) and words to search for."""
    values: dict[str, Any] = {}
    words: list[str] = []
    for attribute in attributes or []:
        name, value = str(attribute.get("name") or ""), attribute.get("value")
        if value in (None, ""):
            continue
        if name in ("max_price", "min_price"):
            try:
                values[name] = float(value)
            except (TypeError, ValueError):
                continue
        elif name == "in_stock":
            values["in_stock_only"] = str(value).lower() in ("1", "true", "yes")
        elif name in ("category", "brand"):
            values[name] = str(value)
        else:
            words.append(str(value))
    return ProductFilter(**values), words


class GraphKnowledgeBase(KnowledgeBase):
    """rasa-sdk's KnowledgeBase over the knowledge-graph service; one object type, "product"."""

    def __init__(self, client: Catalogue) -> None:
        super().__init__()
        self.client = client
        self.key_attribute[OBJECT_TYPE] = KEY_ATTRIBUTE
        self.representation_function[OBJECT_TYPE] = represent

    def get_object_types(self) -> list[str]:
        return [OBJECT_TYPE]

    async def get_attributes_of_object(self, object_type: str) -> list[str]:
        return list(PRODUCT_ATTRIBUTES) if object_type == OBJECT_TYPE else []

    async def get_objects(
        self, object_type: str, attributes: list[dict[str, Any]], limit: int = 5
    ) -> list[dict[str, Any]]:
        """Filters only: the catalogue's listing; any descriptive value (colour, material...): a search."""
        if object_type != OBJECT_TYPE:
            return []
        filters, words = split_attributes(attributes)
        if words:
            result = await self.client.search(" ".join(words), k=limit, filters=filters)
            return [product_object(hit.product) for hit in result.hits[:limit]]
        return [product_object(s) for s in await self.client.list_products(filters, limit=limit)]

    async def get_object(self, object_type: str, object_identifier: str) -> dict[str, Any] | None:
        """By id, or by name/mention when it names one product clearly (None when it is ambiguous)."""
        if object_type != OBJECT_TYPE or not object_identifier:
            return None
        lookup = await self.find(str(object_identifier))
        return product_object(lookup.best) if lookup.best is not None else None

    async def find(self, identifier: str) -> Lookup:
        """What `get_object` does, keeping the candidates so the shopper can be asked which one."""
        identifier = identifier.strip()
        if not identifier:
            return Lookup(None)
        if looks_like_id(identifier):
            details = await self.client.product(identifier)
            if details is not None:
                return Lookup(details.summary)
        resolution = await self.client.resolve(identifier)
        candidates = tuple(c.product for c in resolution.candidates)
        if resolution.ambiguous or resolution.best is None:
            return Lookup(None, candidates, resolution.ambiguous)
        return Lookup(resolution.best, candidates)
