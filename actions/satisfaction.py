"""The end-of-conversation rating: asked after a goodbye or a thank-you, answered with a tap (web, app),
a key (voice) or in words, stored in the float slot ``satisfaction`` the analytics read.

When to ask and how an answer is read are shared with the hand-off relay and the voice gateway
(contracts/satisfaction.py); these actions only apply them to the tracker. The rules (bot/data/rules.yml)
run ``action_ask_satisfaction`` after ``utter_goodbye`` / ``utter_noworries`` and ``action_rate`` for
the intent ``rate`` and, right after the question, for the intents a bare answer ("5", "great") may get.
An answer that is not a rating is handed to the action those intents normally get, so ignoring the
question changes nothing.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from contracts import satisfaction
from contracts.texts import texts

logger = logging.getLogger(__name__)

SATISFACTION_ASKED = Counter(
    "shop_satisfaction_asked_total",
    "Rating questions asked by the bot, by the intent before them (goodbye, thank).",
    ["after"],
)
SATISFACTION_RATINGS = Counter(
    "shop_satisfaction_ratings_total",
    "Ratings stored in the satisfaction slot, by rating and how they came (button, typed).",
    ["rating", "how"],
)

# What an answer right after the question that is not a rating gets instead: the action the rules
# give its intent everywhere else (bot/data/rules.yml).
CARRY_ON = {
    "inform": "action_handle_inform",
    "affirm": "action_handle_yes_no",
    "deny": "action_handle_yes_no",
    "nlu_fallback": "action_fallback_rephrase",
    "out_of_scope": "action_fallback_rephrase",
    satisfaction.INTENT: "action_handle_inform",  # a bare "2" nobody asked a rating for: a list pick
}
HANDOFF_PAYLOAD = "/contact_human_agent"


class ActionAskSatisfaction(Action):
    """Asks for the rating when contracts.satisfaction.should_ask says so; otherwise says nothing."""

    def name(self) -> str:
        return satisfaction.ASK_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name") or ""
        leaving = intent == "goodbye"
        active_loop = (tracker.active_loop or {}).get("name")
        if satisfaction.should_ask(tracker.events, leaving=leaving, active_loop=active_loop):
            SATISFACTION_ASKED.labels(intent or "other").inc()
            dispatcher.utter_message(**satisfaction.question())
        return []


def tapped_rating(tracker: Tracker) -> float | None:
    """The rating of a tapped button (``/rate{"satisfaction": 4}``), or of a number the NLU tagged."""
    value = next(tracker.get_latest_entity_values(satisfaction.SLOT), None)
    return satisfaction.rating_from_entity(value) if value is not None else None


class ActionRate(Action):
    """Stores a rating and thanks the shopper; anything else carries on as if nothing had been asked."""

    def name(self) -> str:
        return "action_rate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name") or ""
        text = (tracker.latest_message.get("text") or "").strip()
        rating, how = tapped_rating(tracker), "button" if text.startswith(satisfaction.PAYLOAD_PREFIX) else "typed"
        if rating is None:
            rating = satisfaction.parse_rating(text)
        if rating is not None and self._counts(tracker, intent, text, how):
            return self._store(dispatcher, rating, how)
        if intent == satisfaction.INTENT and not text.isdigit():
            # "it was great" with no question asked: maybe a rating, so the buttons are offered.
            dispatcher.utter_message(text=texts().text("satisfaction.offer"), buttons=satisfaction.buttons())
            return []
        return [FollowupAction(CARRY_ON.get(intent, "action_handle_inform"))]

    @staticmethod
    def _counts(tracker: Tracker, intent: str, text: str, how: str) -> bool:
        """A rating counts when the button was tapped (even later), when the question was just asked, or
        when the NLU heard a rating that names a number and is more than one ("4 stars"). Words alone
        ("terrible") without the question are a mood, not a rating; a bare "2" may pick from a list."""
        if how == "button" or satisfaction.asked_just_before(tracker.events):
            return True
        return intent == satisfaction.INTENT and satisfaction.names_a_number(text) and not text.isdigit()

    def _store(self, dispatcher: CollectingDispatcher, rating: float, how: str) -> list[EventType]:
        SATISFACTION_RATINGS.labels(f"{rating:g}", how).inc()
        logger.info("conversation rated %g (%s)", rating, how)
        if rating <= satisfaction.LOW_RATING:
            button = {"title": texts().text("satisfaction.tell_a_person"), "payload": HANDOFF_PAYLOAD}
            dispatcher.utter_message(text=texts().text("satisfaction.thanks_low"), buttons=[button])
        else:
            dispatcher.utter_message(text=texts().text("satisfaction.thanks"))
        return [SlotSet(satisfaction.SLOT, rating)]
