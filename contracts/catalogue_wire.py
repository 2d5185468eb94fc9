"""The JSON the knowledge-graph service speaks, decoded into the catalogue's types on both ends.

The service encodes store results with `to_json`; its clients (service_clients.catalogue, the
recommendations backend's catalogue reader) decode them back into the same dataclasses with the
`*_from_json` functions, so both sides share one definition (contracts.catalogue).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

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

Json = dict[str, Any]


def to_json(value: Any) -> Any:
    """Dataclasses (nested) to plain JSON values; tuples become lists."""
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def summary_from_json(data: Json) -> ProductSummary:
    return ProductSummary(**{**data, "category_path": tuple(data.get("category_path") or ())})


def variant_from_json(data: Json) -> Variant:
    return Variant(
        **{**data, "option_names": tuple(data["option_names"]), "option_values": tuple(data["option_values"])}
    )


def details_from_json(data: Json) -> ProductDetails:
    return ProductDetails(
        summary=summary_from_json(data["summary"]),
        description=data["description"],
        tags=tuple(data["tags"]),
        categories=tuple(Category(**c) for c in data["categories"]),
        attributes=tuple(Attribute(**a) for a in data["attributes"]),
        variants=tuple(variant_from_json(v) for v in data["variants"]),
    )


def related_from_json(data: Json) -> RelatedProduct:
    return RelatedProduct(summary_from_json(data["product"]), data["relation"], float(data["score"]))


def candidate_from_json(data: Json) -> Candidate:
    return Candidate(summary_from_json(data["product"]), float(data["score"]))


def resolution_from_json(data: Json) -> Resolution:
    best = summary_from_json(data["best"]) if data.get("best") else None
    return Resolution(best, [candidate_from_json(c) for c in data["candidates"]], bool(data["ambiguous"]))


def search_result_from_json(data: Json) -> SearchResult:
    return SearchResult([candidate_from_json(c) for c in data["hits"]], ProductFilter(**data["filters"]), data["query"])


def policy_from_json(data: Json) -> Policy:
    return Policy(data["id"], data["title"], data["answer"], tuple(data["topics"]))


def _price(query: dict[str, str], name: str) -> float | None:
    """A price parameter: absent, or a finite number ≥ 0 (ValueError otherwise: "nan" would match nothing)."""
    if not query.get(name):
        return None
    value = float(query[name])
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a number of at least 0")
    return value


MAX_NAME_CHARS = 200  # a category or brand named in a filter


def _name(query: dict[str, str], name: str) -> str | None:
    value = query.get(name) or None
    if value is not None and len(value) > MAX_NAME_CHARS:
        raise ValueError(f"{name} is longer than {MAX_NAME_CHARS} characters")
    return value


FLAG_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def flag_from_query(query: dict[str, str], name: str) -> bool:
    """A yes/no parameter: absent is no; anything but true/false, 1/0, yes/no is a ValueError, not a silent no."""
    value = query.get(name, "").strip().lower()
    if not value:
        return False
    if value not in FLAG_WORDS:
        raise ValueError(f"{name} must be true or false")
    return FLAG_WORDS[value]


def filter_from_query(query: dict[str, str]) -> ProductFilter:
    """A ProductFilter from URL query parameters; raises ValueError on a bad number."""
    return ProductFilter(
        category=_name(query, "category"),
        brand=_name(query, "brand"),
        max_price=_price(query, "max_price"),
        min_price=_price(query, "min_price"),
        in_stock_only=flag_from_query(query, "in_stock_only"),
    )


def filter_to_query(filters: ProductFilter) -> dict[str, str]:
    values = {
        "category": filters.category,
        "brand": filters.brand,
        "max_price": None if filters.max_price is None else repr(filters.max_price),
        "min_price": None if filters.min_price is None else repr(filters.min_price),
        "in_stock_only": "true" if filters.in_stock_only else None,
    }
    return {name: value for name, value in values.items() if value is not None}
