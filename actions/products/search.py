"""Product search: semantic search over the message ("something warm for hiking under $100"), with
the requests that only look like a search handed to the similar-products, pairing and info answers.
"""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions.products.base import ProductAction
from actions.products.context import last_product_id, latest_mention, listed_ids, product_relations
from actions.products.info import ActionProductInfo
from actions.products.recommendations import goes_with
from actions.products.resolution import Turn
from actions.products.search_results import search
from actions.products.similar import ActionSimilarProducts, asks_for_similar


class ActionProductSearch(ProductAction):
    """Semantic search over the message ('something warm for hiking under $100'), up to five results."""

    def name(self) -> str:
        return "action_product_search"

    async def answer(self, turn: Turn) -> list[EventType]:
        if asks_for_similar(turn):
            return await self.delegate(ActionSimilarProducts).answer(turn)
        if "goes_with" in product_relations(turn.tracker) and (product_id := last_product_id(turn.tracker)):
            return await goes_with(turn, product_id)
        if latest_mention(turn.tracker) and listed_ids(turn.tracker):
            return await self.delegate(ActionProductInfo).answer(turn)  # "show me the second one"
        return await search(turn)
