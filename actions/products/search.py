"""Product search: what the message looks for, without its framing ("do you have", "I'm looking
for"), searched semantically ("something warm for hiking under $100"). A message that names one
product (its exact title, or "the X") is answered about that product, "the trailblazer boots" that
could be two asks which one, and the requests that only look like a search go to the similar-products,
pairing and info answers.
"""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions.products import texts
from actions.products.availability import ActionProductAvailability
from actions.products.base import ProductAction
from actions.products.context import last_product_id, latest_mention, listed_ids, product_relations, remember
from actions.products.info import ActionProductInfo
from actions.products.query import ShopperQuery, shopper_query
from actions.products.recommendations import goes_with
from actions.products.resolution import Turn, is_title, resolve_name
from actions.products.search_results import search
from actions.products.similar import ActionSimilarProducts, asks_for_similar
from contracts.catalogue import ProductDetails


class ActionProductSearch(ProductAction):
    """Search for what the message looks for ('do you have cordless drills?'), up to five results."""

    def name(self) -> str:
        return "action_product_search"

    async def answer(self, turn: Turn) -> list[EventType]:
        if asks_for_similar(turn):
            return await self.delegate(ActionSimilarProducts).answer(turn)
        if "goes_with" in product_relations(turn.tracker) and (product_id := last_product_id(turn.tracker)):
            return await goes_with(turn, product_id)
        if latest_mention(turn.tracker) and listed_ids(turn.tracker):
            return await self.delegate(ActionProductInfo).answer(turn)  # "show me the second one"
        named = await self.named_product(turn, shopper_query(turn.text))
        return named if named is not None else await search(turn)

    async def named_product(self, turn: Turn, query: ShopperQuery) -> list[EventType] | None:
        """The answer about the one product the message names, or the question which one; None: search.

        A product's exact title names it ("7 Shakra Bracelet", "do you have the Ocean Blue Shirt?");
        "the X" names a product even when it is said loosely, so two that fit ("the trailblazer boots")
        get the question which one. Anything else is a search, even when it resembles a title."""
        if query.definite:
            choice = await resolve_name(turn, query.text)
            if choice.ambiguous:
                return await self.ask_which(turn, choice)
            found = choice.product_id
        else:
            lookup = await turn.kb.find(query.text)
            found = lookup.best.id if lookup.best is not None and is_title(lookup.best, query.text) else None
        details = await turn.client.product(found) if found else None
        if details is None:
            return None
        turn.say(await self.about(turn, details, query))
        return remember(details.id)

    async def about(self, turn: Turn, details: ProductDetails, query: ShopperQuery) -> str:
        """'Do you have the X?' is answered with its stock; the bare name with what it is."""
        if query.framed:
            return await ActionProductAvailability(self._client).availability(turn, details)
        return texts.overview(details)
