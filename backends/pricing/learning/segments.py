"""Which arm set a quote belongs to: the product group and the customer segment.

Segments are built only from allow-listed features the shop itself assigns (the customer tier), never
from protected attributes or their proxies (age, gender, country, postcode, language...): a learner that
prices by those could discriminate even without meaning to. `segment_of` refuses any other feature."""

from __future__ import annotations

from collections.abc import Mapping

SEGMENT_FEATURES = ("tier",)
"""The allow-list: the only inputs a segment may depend on."""

PROTECTED_ATTRIBUTES = frozenset(
    {
        "age",
        "birth_date",
        "gender",
        "sex",
        "race",
        "ethnicity",
        "religion",
        "nationality",
        "country",
        "postcode",
        "address",
        "language",
        "disability",
        "marital_status",
        "sexual_orientation",
    }
)
"""Never a segment feature (checked by a test, and by `segment_of` at run time)."""

ANONYMOUS = "anonymous"
LABELS = {"new": "new customers", "regular": "regular customers", "vip": "VIP customers", ANONYMOUS: "guests"}


def segment_of(features: Mapping[str, str | None]) -> str:
    """The segment name from allow-listed features; any other feature is an error, not ignored, so a
    caller cannot slip one in unnoticed."""
    unknown = set(features) - set(SEGMENT_FEATURES)
    if unknown:
        raise ValueError(f"not allowed as segment features: {', '.join(sorted(unknown))}")
    return features.get("tier") or ANONYMOUS


def product_group(category: str | None, product_id: str | None, sku: str | None, depth: int) -> str:
    """The first `depth` levels of the category path (products in one group share what is learned),
    else the product, else the SKU; at most 200 characters (the column's width)."""
    group = "/".join(category.split("/")[:depth]) if category else product_id or sku or "unknown"
    return group[:200]
