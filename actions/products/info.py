"""Product info ("what is it?", "what material is it?", "is it waterproof?"): a product's overview or
one thing about it, from its attributes, else from the sentence of its description that mentions it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rasa_sdk.events import EventType

from actions.products import texts
from actions.products.base import ProductAction
from actions.products.context import last_product_id, named_products, policy_topic, remember
from actions.products.policy import ActionProductPolicy, policy_answer
from actions.products.resolution import Turn
from actions.products.words import ATTRIBUTE_WORDS, asked_attributes, asked_concepts
from contracts.catalogue import ProductDetails


class ActionProductInfo(ProductAction):
    """What a product is; or one thing about it ("what material", "is it waterproof")."""

    def name(self) -> str:
        return "action_product_info"

    async def answer(self, turn: Turn) -> list[EventType]:
        topic = policy_topic(turn.tracker)
        if topic and not named_products(turn.tracker) and not last_product_id(turn.tracker):
            return await self.delegate(ActionProductPolicy).answer(turn)
        details, events = await self.focus(turn)
        if details is None:
            return events
        question = question_without_name(turn, details)
        asked = asked_attributes(question, details.attributes)
        concepts = asked_concepts(question)
        if asked:
            turn.say(texts.attribute_answer(details, asked))
        elif topic:
            turn.say(await policy_answer(turn, topic))
        elif concepts:
            turn.say(answer_from_description(details, concepts))
        else:
            turn.say(texts.overview(details))
        return remember(details.id)


def question_without_name(turn: Turn, details: ProductDetails) -> str:
    """The message without the product's name, so 'Waterproof Trail Jacket' doesn't ask 'waterproof?'."""
    text = turn.text.lower()
    for name in [details.title, *named_products(turn.tracker)]:
        text = text.replace(name.lower(), " ")
    return text


def answer_from_description(details: ProductDetails, concepts: Sequence[str]) -> str:
    """The description's sentence that mentions what was asked, if any; else honest 'not listed'."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(details.description.split()))
    for concept in concepts:
        for word in ATTRIBUTE_WORDS[concept]:
            for sentence in sentences:
                if re.search(rf"\b{re.escape(word)}", sentence.lower()):
                    return texts.description_says(details, sentence)
    return texts.attribute_unknown(details, concepts[0].replace("_", " "))
