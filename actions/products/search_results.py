"""The answer that lists products found by semantic search: product search uses it, and
recommendations fall back to it for a described need ("a warm jacket for hiking").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rasa_sdk.events import EventType, SlotSet

from actions.products import texts
from actions.products.context import SLOT_PENDING_QUESTION, listing
from actions.products.query import shopper_query
from actions.products.resolution import Turn
from actions.products.texts import MAX_LISTED
from contracts.catalogue import Candidate, ProductSummary

MIN_SEARCH_SCORE = 0.25  # search hits below this are unrelated to the query
RELATIVE_SEARCH_SCORE = 0.6  # ...or far weaker than the best hit


def relevant(hits: Sequence[Candidate]) -> list[ProductSummary]:
    """Semantic search always returns k hits; keep the ones that are about the query (scores are cosine
    similarities of MiniLM vectors: unrelated products score below ~0.25, and far below the best hit)."""
    if not hits:
        return []
    floor = max(MIN_SEARCH_SCORE, hits[0].score * RELATIVE_SEARCH_SCORE)
    return [hit.product for hit in hits if hit.score >= floor][:MAX_LISTED]


@dataclass(frozen=True)
class Found:
    """What a search found, the price and stock limits it applied, and what it searched for."""

    products: list[ProductSummary]
    limits: str
    query: str


async def find(turn: Turn) -> Found:
    """Searches what the message looks for, without its framing ("do you have", "please")."""
    query = shopper_query(turn.text).text
    result = await turn.client.search(query, k=MAX_LISTED)
    products = relevant(result.hits)
    filters = result.filters
    currency = products[0].currency if products else "USD"
    limits = texts.price_limits(filters.min_price, filters.max_price, currency, filters.in_stock_only)
    return Found(products, limits, result.query or query)


async def search(turn: Turn) -> list[EventType]:
    """The products found as a numbered list, or that nothing was found."""
    found = await find(turn)
    if not found.products:
        turn.say(texts.no_results(found.query, found.limits))
        return [SlotSet(SLOT_PENDING_QUESTION, None)]
    return listed(turn, found)


async def search_if_found(turn: Turn) -> list[EventType] | None:
    """The products found as a numbered list; None, saying nothing, when nothing was found (the caller
    has a better answer then: "I couldn't find a product called ...")."""
    found = await find(turn)
    return listed(turn, found) if found.products else None


def listed(turn: Turn, found: Found) -> list[EventType]:
    turn.say(texts.search_results(found.products, found.limits))
    return listing(found.products)
