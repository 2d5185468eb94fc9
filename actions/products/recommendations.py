"""Recommendations: the recommendations backend's picks for this shopper (or for the product in
context: "what goes with this?"), else the graph's accessories, else a search for what was described.
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions import backend
from actions.consent import personal_customer_id, personalisation_allowed, remember_consent
from actions.products import texts
from actions.products.base import ProductAction
from actions.products.context import SLOT_PENDING_QUESTION, last_product_id, listing, policy_topic, product_relations
from actions.products.policy import ActionProductPolicy
from actions.products.resolution import Turn
from actions.products.search_results import search
from actions.products.similar import ActionSimilarProducts, asks_for_similar
from actions.products.texts import MAX_LISTED
from actions.products.words import is_vague_request
from service_clients.recommendations import RecommendationsUnavailable


class ActionRecommendProducts(ProductAction):
    """Recommendations. The seam for a recommendations backend (issue 6): today it answers with search
    results for what the shopper described, asks what they need when the request is vague, and hands
    'like this' and sizing questions to the similar-products and policy answers."""

    def name(self) -> str:
        return "action_recommend_products"

    async def answer(self, turn: Turn) -> list[EventType]:
        if asks_for_similar(turn):
            return await self.delegate(ActionSimilarProducts).answer(turn)
        if "goes_with" in product_relations(turn.tracker) and (product_id := last_product_id(turn.tracker)):
            return await goes_with(turn, product_id)
        if policy_topic(turn.tracker) == "sizing":
            return await self.delegate(ActionProductPolicy).answer(turn)
        return await self.recommend(turn)

    async def recommend(self, turn: Turn) -> list[EventType]:
        """A described need is searched ("a warm jacket for hiking"); 'what do you recommend?' gets the
        recommendations backend's list for this shopper, or a question about what they need."""
        if not is_vague_request(turn.text):
            return await search(turn)
        personal = await personal_recommendations(turn)
        if personal is not None:
            return personal
        turn.say(texts.what_to_recommend())
        return [SlotSet(SLOT_PENDING_QUESTION, None)]


async def goes_with(turn: Turn, product_id: str) -> list[EventType]:
    """'What goes with this?': the recommendations backend's picks for this product, else the graph's
    accessories of it, else a search."""
    personal = await personal_recommendations(turn)
    if personal is not None:
        return personal
    details = await turn.client.product(product_id)
    accessories = [r.product for r in await turn.client.related(product_id, "ACCESSORY_OF", incoming=True)]
    if details is None or not accessories:
        return await search(turn)
    turn.say(texts.goes_with(details, accessories))
    return listing(accessories, focus_id=product_id)


async def personal_recommendations(turn: Turn) -> list[EventType] | None:
    """The backend's picks with their reasons; None when it is down, has capped this shopper or has nothing.
    From the customer's history only with their consent; otherwise popular and related items."""
    tracker = turn.tracker
    try:
        found = await backend.recommendations_client().recommend(
            personal_customer_id(tracker),
            product_id=last_product_id(tracker),
            conversation_id=conversation_key(tracker),
            k=MAX_LISTED,
            consent=personalisation_allowed(tracker),
        )
    except RecommendationsUnavailable:
        return None
    if found.capped or not found.items:
        return None
    products = [d.summary for d in await turn.client.products([item.product_id for item in found.items])]
    if not products:
        return None
    turn.say(texts.recommended(products, {item.product_id: item.reason for item in found.items}))
    return [*listing(products), *remember_consent(tracker)]


def conversation_key(tracker: Tracker) -> str | None:
    """The sender id as the backend's conversation id (its ids are 1-64 of [A-Za-z0-9_.:@/-])."""
    sender = tracker.sender_id or ""
    return sender if re.fullmatch(r"[A-Za-z0-9_.:@/-]{1,64}", sender) else None
