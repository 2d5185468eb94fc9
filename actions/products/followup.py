"""A bare value that continues a product conversation ("the second one", "large", "the red one"):
answers the product question that was waiting for it (the `product_question` slot), else stock for a
size/colour and info for a product. Reached from the `inform` intent (actions/order_requests.py).
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.knowledge_base.utils import SLOT_MENTION

from actions.products.availability import ActionProductAvailability
from actions.products.base import ProductAction
from actions.products.comparison import ActionCompareProducts
from actions.products.compatibility import ActionCompatibleProducts
from actions.products.context import SLOT_PENDING_QUESTION, last_product_id, listed_ids, message_text
from actions.products.info import ActionProductInfo
from actions.products.knowledge_base import Catalogue, ordinal_mention_in
from actions.products.policy import ActionProductPolicy
from actions.products.price import ActionProductPrice
from actions.products.recommendations import ActionRecommendProducts
from actions.products.search import ActionProductSearch
from actions.products.similar import ActionSimilarProducts

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
    """Answers the question waiting for a product, else: a size/colour asks for stock, a product for info."""
    pending = tracker.get_slot(SLOT_PENDING_QUESTION)
    entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
    if pending not in PRODUCT_QUESTIONS:
        pending = "action_product_availability" if entities & {"colour", "size"} else "action_product_info"
    return await PRODUCT_QUESTIONS[pending](client).run(dispatcher, tracker, {})
