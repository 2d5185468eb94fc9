"""A bare value that continues a product conversation ("the second one", "large", "the red one"):
answers the product question that was waiting for it (the `product_question` slot), else for a bare
product phrase ("cordless drill", "the trailblazer boots") what the search makes of it (the product it
names, the question which one, or the results), stock for a size/colour, info for a list pick.
Reached from the `inform` intent (actions/order_requests.py).
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.knowledge_base.utils import SLOT_MENTION

from actions import backend
from actions.products.availability import ActionProductAvailability
from actions.products.base import ProductAction
from actions.products.comparison import ActionCompareProducts
from actions.products.compatibility import ActionCompatibleProducts
from actions.products.context import SLOT_PENDING_QUESTION, last_product_id, listed_ids, message_text
from actions.products.info import ActionProductInfo
from actions.products.knowledge_base import Catalogue, GraphKnowledgeBase, ordinal_mention_in
from actions.products.policy import ActionProductPolicy
from actions.products.price import ActionProductPrice
from actions.products.query import MAX_BARE_PHRASE_WORDS
from actions.products.recommendations import ActionRecommendProducts
from actions.products.resolution import Turn
from actions.products.search import ActionProductSearch
from actions.products.search_results import search_if_found
from actions.products.similar import ActionSimilarProducts
from service_clients.catalogue import CatalogueUnavailable

PRODUCT_QUESTIONS: dict[str, type[ProductAction]] = {
    action().name(): action
    for action in (
        ActionProductInfo,
        ActionProductAvailability,
        ActionProductPrice,
        ActionCompatibleProducts,
        ActionSimilarProducts,
        ActionCompareProducts,
        ActionProductSearch,
        ActionRecommendProducts,
        ActionProductPolicy,
    )
}


def is_product_followup(tracker: Tracker) -> bool:
    """A bare value that continues a product conversation: 'the second one', 'large', 'the red one'."""
    entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
    if entities & {"product", SLOT_MENTION}:
        return True
    in_product_talk = bool(tracker.get_slot(SLOT_PENDING_QUESTION) or listed_ids(tracker) or last_product_id(tracker))
    if entities & {"colour", "size"}:
        return True
    return in_product_talk and ordinal_mention_in(message_text(tracker)) is not None


async def answer_product_followup(
    dispatcher: CollectingDispatcher, tracker: Tracker, client: Catalogue | None = None
) -> list[EventType]:
    """Answers the question waiting for a product, else: a bare product phrase is searched (a name it
    gives answers about that product), a size/colour asks for stock, a list pick for info."""
    pending = tracker.get_slot(SLOT_PENDING_QUESTION)
    entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
    if pending not in PRODUCT_QUESTIONS:
        pending = (
            "action_product_search"
            if "product" in entities and SLOT_MENTION not in entities
            else "action_product_availability"
            if entities & {"colour", "size"}
            else "action_product_info"
        )
    return await PRODUCT_QUESTIONS[pending](client).run(dispatcher, tracker, {})


async def search_bare_phrase(
    dispatcher: CollectingDispatcher, tracker: Tracker, client: Catalogue | None = None
) -> list[EventType] | None:
    """A bare value in which the NLU found nothing ("AURELIA", "Biba"): a brand or a name its entity
    extractor does not know. The products the search finds for it; None, saying nothing, when the
    message is longer than a name or nothing is found (the caller asks what the shopper needs)."""
    text = message_text(tracker)
    if tracker.latest_message.get("entities") or not 0 < len(text.split()) <= MAX_BARE_PHRASE_WORDS:
        return None
    catalogue = client if client is not None else backend.catalogue_client()
    try:
        return await search_if_found(Turn(dispatcher, tracker, catalogue, GraphKnowledgeBase(catalogue)))
    except CatalogueUnavailable:
        return None
