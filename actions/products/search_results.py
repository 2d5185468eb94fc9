"""The answer that lists products found by semantic search: product search uses it, and
recommendations fall back to it for a described need ("a warm jacket for hiking").
"""

from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk.events import EventType, SlotSet

from actions.products import texts
from actions.products.context import SLOT_PENDING_QUESTION, listing
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


async def search(turn: Turn) -> list[EventType]:
    result = await turn.client.search(turn.text, k=MAX_LISTED)
    products = relevant(result.hits)
    filters = result.filters
    currency = products[0].currency if products else "USD"
    limits = texts.price_limits(filters.min_price, filters.max_price, currency, filters.in_stock_only)
    if not products:
        turn.say(texts.no_results(result.query or turn.text, limits))
        return [SlotSet(SLOT_PENDING_QUESTION, None)]
    turn.say(texts.search_results(products, limits))
    return listing(products)
