"""Alternatives ("something like this but cheaper", "alternatives"): SIMILAR_TO products and the
successor of a replaced one (REPLACED_BY). Product search and recommendations hand such requests over to it.
"""

from __future__ import annotations

from dataclasses import replace

from rasa_sdk.events import EventType

from actions.products import texts
from actions.products.base import ProductAction
from actions.products.context import (
    last_product_id,
    latest_mention,
    listing,
    named_products,
    product_relations,
    remember,
)
from actions.products.resolution import Turn
from actions.products.texts import MAX_LISTED
from actions.products.words import is_cheaper
from contracts.catalogue import ProductDetails, ProductFilter, ProductSummary


async def successor_of(turn: Turn, details: ProductDetails) -> ProductSummary | None:
    """The product that replaced this one (REPLACED_BY), if the graph knows one."""
    replaced = await turn.client.related(details.id, "REPLACED_BY", limit=1)
    return replaced[0].product if replaced else None


class ActionSimilarProducts(ProductAction):
    """'Something like this but cheaper', 'alternatives': SIMILAR_TO, and the successor of a replaced item.

    Reached from product_search and recommendation_request when the message asks for something
    like a product; a rule or a button can also predict it directly.
    """

    def name(self) -> str:
        return "action_similar_products"

    async def answer(self, turn: Turn) -> list[EventType]:
        base, events = await self.focus(turn)
        if base is None:
            return events
        relations = product_relations(turn.tracker)
        cheaper = "cheaper" in relations
        successor = None
        if "successor" in relations or not base.summary.in_stock:
            successor = await successor_of(turn, base)
        similar = await self.similar(turn, base, cheaper)
        if successor is not None:
            similar = [successor, *(p for p in similar if p.id != successor.id)]
            intro = texts.replaced_by(base, successor)
            turn.say(intro if len(similar) == 1 else intro + "\n" + texts.similar_list(base, similar, cheaper))
        elif similar:
            turn.say(texts.similar_list(base, similar, cheaper))
        else:
            turn.say(texts.no_similar(base, cheaper))
            return remember(base.id)
        return listing(similar, focus_id=base.id)

    async def similar(self, turn: Turn, base: ProductDetails, cheaper: bool) -> list[ProductSummary]:
        limit_price = base.summary.min_price if cheaper else None
        filters = ProductFilter(max_price=limit_price - 0.01) if limit_price else ProductFilter()
        related = await turn.client.related(base.id, "SIMILAR_TO", filters=filters, limit=MAX_LISTED)
        found = [r.product for r in related if r.product.id != base.id and is_cheaper(r.product, limit_price)]
        if found or not cheaper:
            return found[:MAX_LISTED]
        return await cheaper_of_same_kind(turn, base, filters)


async def cheaper_of_same_kind(turn: Turn, base: ProductDetails, filters: ProductFilter) -> list[ProductSummary]:
    """No SIMILAR_TO link is cheaper: products of the same kind under its price, found by search.

    The same kind is the same category (with its sub-categories), else the same product type: with
    another shop's catalogue beside this one, "phone case" must not bring up a phone wall plate.
    Without either, nothing is the same kind."""
    summary = base.summary
    category = summary.category_path[-1] if summary.category_path else None
    if category is None and not summary.product_type:
        return []
    result = await turn.client.search(
        summary.product_type or base.title, k=MAX_LISTED * 2, filters=replace(filters, category=category)
    )
    return [
        h.product
        for h in result.hits
        if h.product.id != base.id and is_cheaper(h.product, summary.min_price) and same_kind(h.product, summary)
    ][:MAX_LISTED]


def same_kind(product: ProductSummary, base: ProductSummary) -> bool:
    """In the base product's category (or one below it); without a category, of the same product type."""
    if base.category_path:
        return base.category_path[-1] in product.category_path
    return product.product_type.strip().lower() == base.product_type.strip().lower()


def asks_for_similar(turn: Turn) -> bool:
    """'something like this', 'alternatives to the X', or 'anything cheaper?' about the product in context.

    'cheaper t-shirts' names what to search for, so a bare 'cheaper' only counts without a product name.
    """
    relations = product_relations(turn.tracker)
    named = bool(named_products(turn.tracker))
    in_context = bool(last_product_id(turn.tracker) or latest_mention(turn.tracker))
    if relations & {"similar", "successor"}:
        return named or in_context
    return "cheaper" in relations and in_context and not named
