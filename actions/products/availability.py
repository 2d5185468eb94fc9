"""Stock by size and colour: "does the Ocean Blue Shirt come in large?", "is the red one in stock?"."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions.products import texts
from actions.products.base import ProductAction
from actions.products.context import options_asked, remember
from actions.products.resolution import Turn
from actions.products.similar import successor_of
from actions.products.words import matching, offered_values
from contracts.catalogue import ProductDetails


class ActionProductAvailability(ProductAction):
    """Stock, by size and colour: 'does the Ocean Blue Shirt come in large?', 'is the red one in stock?'."""

    def name(self) -> str:
        return "action_product_availability"

    async def answer(self, turn: Turn) -> list[EventType]:
        details, events = await self.focus(turn)
        if details is None:
            return events
        turn.say(await self.availability(turn, details))
        return remember(details.id)

    async def availability(self, turn: Turn, details: ProductDetails) -> str:
        variants = details.variants
        if not variants:
            return texts.no_stock_data(details)
        in_stock = [v for v in variants if v.in_stock]
        options = options_asked(turn.tracker, details)
        if not options:
            if in_stock:
                return texts.in_stock_overview(details, in_stock)
            return texts.sold_out(details, await successor_of(turn, details))
        chosen = matching(variants, options)
        if not chosen:
            return texts.option_not_offered(details, options.label, offered_values(variants, options), in_stock)
        available = [v for v in chosen if v.in_stock]
        if available:
            return texts.option_in_stock(details, options.label, available)
        return texts.option_sold_out(details, options.label, in_stock)
