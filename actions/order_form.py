"""The order access form: which order, and (for anonymous visitors) proof that it is theirs.

Every order question (track, cancel, return, invoice, ...) goes through this one form; the request
itself is remembered in the `pending_request` slot and answered by `action_handle_order_request`.

The order backend is the authority on proofs: it counts failures per order number and per client
across conversations and locks guessers out. An anonymous visitor is never told whether an order
number exists: an unknown number and a wrong email/ZIP get the same answer.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import order_texts as texts
from actions.addresses import ZIP_CODE
from actions.backend import orders_client
from actions.handoff import acknowledge_if_upset
from actions.identity import VERIFIED_ORDERS_SLOT, app_customer_id, needs_no_proof, verified_orders
from contracts.shop_policies import shop_policies
from service_clients.orders import BackendUnavailable, OrderNotFound

logger = logging.getLogger(__name__)

NUMBER_LIKE = re.compile(r"(?<![\w@.])#?\s?(\d{4,10})(?![\w@])")
ORDER_NUMBER = re.compile(r"\d{6}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MAX_PROOF_ATTEMPTS = 3  # per form, for the shopper's sake; the backend's lockout is the real limit

# Problems that end the form early; action_handle_order_request explains them.
BACKEND_DOWN = "backend_down"
TOO_MANY_ATTEMPTS = "too_many_attempts"
LOCKED_OUT = "locked_out"  # already told by the form


def client_keys(tracker: Tracker) -> list[str]:
    """Who is asking, for the backend's failure counts: the conversation on its channel, and the
    caller's number on the voice channel (set by the authenticated voice gateway, not the caller)."""
    channel = tracker.get_latest_input_channel() or "unknown"
    keys = [f"conversation:{channel}:{tracker.sender_id}"]
    metadata = tracker.latest_message.get("metadata") or {}
    caller = metadata.get("caller")
    if channel == "voice" and isinstance(caller, str) and caller.strip():
        keys.append(f"caller:voice:{caller.strip()[:100]}")
    return keys


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    return next(tracker.get_latest_entity_values(entity), None)


class ActionSetRequest(Action):
    """Remembers which order question is being asked, so a correction can repeat it; an upset shopper
    first hears an apology (acknowledge_if_upset), then the form asks its question."""

    def name(self) -> str:
        return "action_set_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        acknowledge_if_upset(dispatcher, tracker, str(intent or ""))
        return [
            SlotSet("pending_request", intent),
            SlotSet("awaiting_confirmation", None),
            SlotSet("order_access_problem", None),
        ]


class ActionAskOrderNumber(Action):
    """Asks for the order number; a logged-in app user also sees their recent orders."""

    def name(self) -> str:
        return "action_ask_order_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        customer_id = app_customer_id(tracker)
        if customer_id is not None:
            try:
                orders = await orders_client().list_customer_orders(customer_id, limit=5)
            except BackendUnavailable:
                orders = []
            if orders:
                dispatcher.utter_message(text=texts.describe_recent_orders(orders))
                return []
        dispatcher.utter_message(text=texts.ask_order_number())
        return []


class ValidateOrderAccessForm(FormValidationAction):
    def name(self) -> str:
        return "validate_order_access_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("order_access_problem"):
            return []
        if needs_no_proof(tracker, tracker.get_slot("order_number")):
            return ["order_number"]
        return ["order_number", "order_proof"]

    async def extract_order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Also takes a number the NLU did not tag, so a wrong length gets a clear answer."""
        if tracker.get_slot("requested_slot") != "order_number" or latest_entity(tracker, "order_number"):
            return {}
        match = NUMBER_LIKE.search(tracker.latest_message.get("text") or "")
        return {"order_number": match.group(1)} if match else {}

    async def extract_order_proof(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "order_proof":
            return {}
        text = tracker.latest_message.get("text") or ""
        email = latest_entity(tracker, "email") or _first(EMAIL, text)
        if email:
            return {"order_proof": email}
        postcode = latest_entity(tracker, "postcode") or _first(ZIP_CODE, text)
        return {"order_proof": postcode} if postcode else {}

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = re.sub(r"\D", "", str(value or ""))
        if not ORDER_NUMBER.fullmatch(number):
            dispatcher.utter_message(text=texts.not_an_order_number(value))
            return {"order_number": None}
        customer_id = app_customer_id(tracker)
        if customer_id is not None:  # a logged-in customer may learn which numbers are theirs
            try:
                await orders_client().get_order(number, customer_id=customer_id)
            except OrderNotFound:
                dispatcher.utter_message(text=texts.not_among_your_orders(number))
                return {"order_number": None}
            except BackendUnavailable:
                logger.error("order backend unavailable while validating order %s", number)
                return {"order_number": number, "order_access_problem": BACKEND_DOWN}
        slots: dict[str, Any] = {"order_number": number}
        proof_given_now = "order_proof" in tracker.slots_to_validate()
        if number not in verified_orders(tracker) and not proof_given_now:
            slots["order_proof"] = None
        return slots

    async def validate_order_proof(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = tracker.get_slot("order_number")
        if not number or not value:
            return {"order_proof": None}
        proof = str(value).strip()
        field = {"email": proof} if "@" in proof else {"postcode": proof}
        try:
            check = await orders_client().verify_owner(number, **field, clients=client_keys(tracker))
        except BackendUnavailable:
            logger.error("order backend unavailable while verifying order %s", number)
            return {"order_proof": None, "order_access_problem": BACKEND_DOWN}
        if check.locked:
            logger.warning("ownership proof for order %s refused: locked out (sender %s)", number, tracker.sender_id)
            dispatcher.utter_message(text=texts.proof_locked(shop_policies(), check.retry_after_s))
            return {"order_proof": None, "order_access_problem": LOCKED_OUT}
        if check.verified:
            # Proof is kept as the order number in `verified_orders`, not in this slot: a value left
            # here would be re-validated against the next order the shopper asks about.
            return {
                "order_proof": None,
                VERIFIED_ORDERS_SLOT: [*verified_orders(tracker), number],
                "proof_failures": 0,
            }
        failures = int(tracker.get_slot("proof_failures") or 0) + 1
        logger.warning(
            "ownership proof failed for order %s (attempt %d), sender %s", number, failures, tracker.sender_id
        )
        if failures >= MAX_PROOF_ATTEMPTS:
            return {"order_proof": None, "proof_failures": failures, "order_access_problem": TOO_MANY_ATTEMPTS}
        # The same words whether the number exists or not: order numbers cannot be probed.
        dispatcher.utter_message(text=texts.proof_not_confirmed())
        return {"order_proof": None, "proof_failures": failures}


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(match.lastindex or 0) if match else None
