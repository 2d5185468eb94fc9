"""Policy answers and the fallback: text an operator controls, not hard-coded in Python."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import HANDOFF_OFFERED
from actions.metrics import FALLBACKS
from contracts.frustration import current_episode
from contracts.shop_policies import shop_policies
from contracts.texts import texts

logger = logging.getLogger(__name__)

FAILURES_BEFORE_HUMAN_OFFER = 2


class ActionAnswerPolicy(Action):
    def name(self) -> str:
        return "action_answer_policy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name") or ""
        answer = shop_policies().answer(intent)
        if answer is None:
            logger.warning("the message catalogue has no policies.answers.%s", intent)
            answer = shop_policies().answer("contact_customer_service") or texts().text("policies.no_answer")
        dispatcher.utter_message(text=answer)
        return []


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest user messages in a row the assistant could not help with: the same count
    the hand-off policy uses (contracts/frustration.py), so keyboard noise does not count there either."""
    return current_episode(tracker.events).consecutive_not_understood


class ActionFallbackRephrase(Action):
    """Asks to rephrase (or says what it can do, for off-topic messages); after repeated failure
    offers a person instead of looping."""

    def name(self) -> str:
        return "action_fallback_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        failures = consecutive_fallbacks(tracker)
        logger.info("NLU fallback %d in a row for sender %s", failures, tracker.sender_id)
        if failures >= FAILURES_BEFORE_HUMAN_OFFER:
            FALLBACKS.labels("human_offer").inc()
            dispatcher.utter_message(text=shop_policies().message("human_offer"))
            # "yes" now hands the conversation to a person (action_handle_yes_no).
            return [SlotSet("awaiting_confirmation", HANDOFF_OFFERED)]
        elif tracker.latest_message.get("intent", {}).get("name") == "out_of_scope":
            FALLBACKS.labels("out_of_scope").inc()
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            FALLBACKS.labels("rephrase").inc()
            dispatcher.utter_message(text=shop_policies().message("not_understood"))
        return []
