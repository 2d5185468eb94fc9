"""Sizing guide, warranty, care, discounts: the graph's FAQ entry, else the shop's own answer
(policies.product_answers of the message catalogue). Product info and price questions without a product hand over to it.
"""

from __future__ import annotations

import logging

from rasa_sdk.events import EventType

from actions.products.base import ProductAction
from actions.products.context import policy_topic
from actions.products.resolution import Turn
from contracts.shop_policies import shop_policies

logger = logging.getLogger(__name__)

# Topics the shop's existing intent answers cover (policies.answers of the catalogue), as the last resort.
TOPIC_INTENT_ANSWERS = {"shipping": "delivery_options", "returns": "check_refund_policy"}


class ActionProductPolicy(ProductAction):
    """Sizing guide, warranty, care, discounts...: the graph's FAQ entry, else the shop's own answer."""

    def name(self) -> str:
        return "action_product_policy"

    async def answer(self, turn: Turn) -> list[EventType]:
        turn.say(await policy_answer(turn, policy_topic(turn.tracker)))
        return []


async def policy_answer(turn: Turn, topic: str | None) -> str:
    policy = await turn.client.policy(turn.text)
    if policy is not None and policy.answer:
        return policy.answer
    policies = shop_policies()
    if topic:
        answer = policies.product_answer(topic) or policies.answer(TOPIC_INTENT_ANSWERS.get(topic, ""))
        if answer:
            return answer
    logger.info("no policy answer for a question (topic %s)", topic)  # not the text: shopper words stay out of logs
    return policies.answer("contact_customer_service") or policies.message("human_offer")
