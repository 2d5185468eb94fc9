"""What the conversation says about products: this message's product words and the product slots.

Reads the latest message (everything the NLU found: product names, 'this case', list mentions, sizes,
colours, what a question asks relative to a product, its general topic) and the slots rasa-sdk's
knowledge-base helpers use (`knowledge_base_last_object`: "it"; `knowledge_base_listed_objects`:
"the second one"), and builds the slot events every answer ends with, so a follow-up ("is it in
stock in large?", "the second one") knows what it is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.knowledge_base.utils import (
    SLOT_LAST_OBJECT,
    SLOT_LAST_OBJECT_TYPE,
    SLOT_LISTED_OBJECTS,
    SLOT_MENTION,
    SLOT_OBJECT_TYPE,
)

from actions.products.knowledge_base import OBJECT_TYPE, normalise_mention, ordinal_mention_in
from actions.products.texts import MAX_LISTED
from actions.products.words import DEMONSTRATIVE_BEFORE, Options, requested_options
from contracts.catalogue import ProductDetails, ProductSummary

# Which product question is waiting for the shopper to say which product ("which one do you mean?").
SLOT_PENDING_QUESTION = "product_question"
SLOT_COUPON = "coupon_code"  # a code the shopper gave, used in later price answers


def message_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_entities(tracker: Tracker, name: str) -> list[dict[str, Any]]:
    return [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") == name and e.get("value")]


def product_relations(tracker: Tracker) -> set[str]:
    """What the message asks for relative to a product: 'similar', 'cheaper', 'successor', 'goes_with'
    (the NLU's product_relation entities, bot/data/nlu/entities/keywords.yml)."""
    return {str(e["value"]) for e in latest_entities(tracker, "product_relation")}


def policy_topic(tracker: Tracker) -> str | None:
    """The general question the message asks ('sizing', 'warranty', 'returns'...), the first one said."""
    topics = latest_entities(tracker, "policy_topic")
    return str(topics[0]["value"]) if topics else None


def is_demonstrative(text: str, entity: dict[str, Any]) -> bool:
    """'this phone', 'that jacket': the product already talked about, not a new name."""
    start = entity.get("start")
    if isinstance(start, int):
        return bool(DEMONSTRATIVE_BEFORE.search(text[:start].lower()))
    value = str(entity.get("value")).lower()
    return any(f"{word} {value}" in text.lower() for word in ("this", "that", "these", "those"))


def demonstrative_kinds(tracker: Tracker) -> list[str]:
    """The X of 'this X' / 'that X' in the latest message ('this case' -> 'case')."""
    text = message_text(tracker)
    return [str(e["value"]) for e in latest_entities(tracker, "product") if is_demonstrative(text, e)]


def named_products(tracker: Tracker) -> list[str]:
    """Product names in the latest message, without the ones said as 'this X'."""
    text = message_text(tracker)
    names = [str(e["value"]) for e in latest_entities(tracker, "product") if not is_demonstrative(text, e)]
    return list(dict.fromkeys(names))


def latest_mention(tracker: Tracker) -> str | None:
    """The mention in the latest message only (the slot may still hold an old one), normalised."""
    for entity in latest_entities(tracker, SLOT_MENTION):
        mention = normalise_mention(str(entity["value"]))
        if mention:
            return mention
    return ordinal_mention_in(message_text(tracker))


def listed_ids(tracker: Tracker) -> list[str]:
    listed = tracker.get_slot(SLOT_LISTED_OBJECTS)
    return [str(item) for item in listed] if isinstance(listed, list) else []


def last_product_id(tracker: Tracker) -> str | None:
    last = tracker.get_slot(SLOT_LAST_OBJECT)
    return str(last) if last else None


def mention_view(tracker: Tracker, mention: str | None, product_name: str | None) -> Tracker:
    """The tracker as rasa-sdk's mention helpers read it: this turn's mention and name only."""
    slots = {
        **tracker.slots,
        SLOT_MENTION: mention,
        SLOT_OBJECT_TYPE: OBJECT_TYPE,
        OBJECT_TYPE: product_name,
        SLOT_LAST_OBJECT_TYPE: OBJECT_TYPE if last_product_id(tracker) else None,
    }
    return Tracker(
        tracker.sender_id,
        slots,
        tracker.latest_message,
        [],
        tracker.is_paused(),
        tracker.followup_action,
        tracker.active_loop,
        tracker.latest_action_name,
    )


def remember(product_id: str) -> list[EventType]:
    """The product answered about becomes 'it' for the next question."""
    return [
        SlotSet(SLOT_LAST_OBJECT, product_id),
        SlotSet(SLOT_LAST_OBJECT_TYPE, OBJECT_TYPE),
        SlotSet(SLOT_PENDING_QUESTION, None),
    ]


def listing(products: Sequence[ProductSummary], focus_id: str | None = None) -> list[EventType]:
    """Listed products, for 'the second one'. 'It' is then the one product listed, else `focus_id` (the
    phone whose cases were listed), else nothing: 'is it in stock?' after five results asks which one."""
    ids = [p.id for p in products[:MAX_LISTED]]
    if len(ids) == 1:
        focus_id = ids[0]
    return [
        SlotSet(SLOT_LISTED_OBJECTS, ids),
        SlotSet(SLOT_LAST_OBJECT, focus_id),
        SlotSet(SLOT_LAST_OBJECT_TYPE, OBJECT_TYPE),
        SlotSet(SLOT_PENDING_QUESTION, None),
    ]


def offered(candidates: Sequence[ProductSummary]) -> list[EventType]:
    """Candidates of a clarifying question: listed for 'the second one', while 'it' stays what it was."""
    return [SlotSet(SLOT_LISTED_OBJECTS, [p.id for p in candidates[:MAX_LISTED]])]


def waiting_for_product(question: str) -> list[EventType]:
    return [SlotSet(SLOT_PENDING_QUESTION, question)]


def options_asked(tracker: Tracker, details: ProductDetails) -> Options:
    sizes = [str(e["value"]) for e in latest_entities(tracker, "size")]
    colours = [str(e["value"]) for e in latest_entities(tracker, "colour")]
    return requested_options(message_text(tracker), sizes, colours, details)
