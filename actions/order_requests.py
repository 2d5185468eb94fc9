"""Answers to order questions once the order is known and the shopper may see it.

`action_handle_order_request` answers the request remembered in `pending_request`; changes
(cancel, return, new address) are confirmed first and carried out by `action_handle_yes_no`.
The order backend stays the authority on what is allowed: its refusal is told in the shop's words, by its code.

A change needs a stronger proof than a read. A logged-in app user (JWT, verified by the app
channel) changes their own orders directly. An anonymous visitor who proved the order with its
email or ZIP gets a one-time code mailed to the order's address (`change_code_form`), and the
backend makes the change only with that code (`action_apply_change`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import order_texts as texts
from actions.address_change import start_address_form
from actions.backend import orders_client
from actions.handoff import HANDOFF_OFFERED
from actions.identity import app_customer_id, may_see, needs_no_proof
from actions.order_form import BACKEND_DOWN, LOCKED_OUT, TOO_MANY_ATTEMPTS
from actions.products.followup import answer_product_followup, is_product_followup, search_bare_phrase
from contracts.orders import Order
from contracts.shop_policies import shop_policies
from service_clients.orders import (
    BackendUnavailable,
    ChangeRefused,
    CodeRejected,
    OrderNotFound,
    OrdersError,
)

logger = logging.getLogger(__name__)

Handler = Callable[[CollectingDispatcher, Tracker, Order], Awaitable[list[EventType]]]
# The emailed-code step: which change waits, for which order, the code typed, and the flag the
# rules read to open `change_code_form` right after the "yes".
PENDING_CHANGE, CHANGE_ORDER, CHANGE_CODE = "pending_change", "change_order", "change_code"
CODE_SENT = "change_code_sent"
CODE_DIGITS = 8
CODE_LIKE = re.compile(r"(?<!\d)\d(?:[ -]?\d){3,11}(?!\d)")
CODE_PURPOSE = {"cancel_order": "cancel", "get_refund": "return", "change_shipping_address": "shipping_address"}


async def visible_order(tracker: Tracker, number: str | None) -> Order | None:
    """The order, if it exists and this shopper may see it (checked again, never assumed)."""
    if not number:
        return None
    try:
        order = await orders_client().get_order(number, customer_id=app_customer_id(tracker))
    except OrderNotFound:
        return None
    if not may_see(tracker, order.number, order.customer_id):
        logger.warning("sender %s asked for order %s without access", tracker.sender_id, number)
        return None
    return order


def backend_down(dispatcher: CollectingDispatcher, error: Exception) -> list[EventType]:
    logger.error("order backend unavailable: %s", error)
    dispatcher.utter_message(text=shop_policies().message("backend_down"))
    return [SlotSet("order_access_problem", None), SlotSet("awaiting_confirmation", None)]


# --------------------------------------------------------------------------- request handlers


async def answer_tracking(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order) -> list[EventType]:
    tracking = await orders_client().track(order.number)
    dispatcher.utter_message(text=texts.tracking_summary(order, tracking))
    return []


async def answer_eta(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order) -> list[EventType]:
    tracking = await orders_client().track(order.number)
    dispatcher.utter_message(text=texts.eta_summary(order, tracking))
    return []


async def offer_cancel(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order) -> list[EventType]:
    if not order.cancellable:
        dispatcher.utter_message(text=texts.cannot_cancel(order))
        return []
    dispatcher.utter_message(text=texts.confirm_cancel(order), buttons=texts.yes_no_buttons())
    return [SlotSet("awaiting_confirmation", "cancel_order")]


async def explain_change(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order) -> list[EventType]:
    dispatcher.utter_message(text=texts.change_options(order))
    return []


async def start_address_change(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order) -> list[EventType]:
    if not order.address_changeable:
        dispatcher.utter_message(text=texts.cannot_change_address(order))
        return []
    dispatcher.utter_message(text=texts.address_change_intro(order))
    return start_address_form(tracker, dispatcher)


async def answer_invoice(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order) -> list[EventType]:
    invoice = await orders_client().invoice(order.number)
    wants_link = tracker.get_slot("pending_request") == "get_invoice"
    link = shop_policies().fact("invoice_link") if wants_link else None
    if link:
        link = link.format(order_number=order.number, invoice_number=invoice.number)
    dispatcher.utter_message(text=texts.invoice_summary(order, invoice, link=link))
    return []


async def offer_return(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order) -> list[EventType]:
    if not order.returnable:
        dispatcher.utter_message(text=texts.cannot_return(order))
        return []
    dispatcher.utter_message(text=texts.confirm_return(order), buttons=texts.yes_no_buttons())
    return [SlotSet("awaiting_confirmation", "get_refund")]


async def answer_refunds(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order) -> list[EventType]:
    refunds = await orders_client().refunds(order.number)
    dispatcher.utter_message(text=texts.refunds_summary(order, refunds))
    return []


REQUEST_HANDLERS: dict[str, Handler] = {
    "track_order": answer_tracking,
    "delivery_period": answer_eta,
    "cancel_order": offer_cancel,
    "change_order": explain_change,
    "change_shipping_address": start_address_change,
    "check_invoice": answer_invoice,
    "get_invoice": answer_invoice,
    "get_refund": offer_return,
    "track_refund": answer_refunds,
}


class ActionHandleOrderRequest(Action):
    def name(self) -> str:
        return "action_handle_order_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        problem = tracker.get_slot("order_access_problem")
        if problem == BACKEND_DOWN:
            return backend_down(dispatcher, RuntimeError("reported by the order form"))
        if problem == TOO_MANY_ATTEMPTS:
            dispatcher.utter_message(text=texts.proof_refused(shop_policies()))
            return [SlotSet("order_access_problem", None), SlotSet("order_number", None)]
        if problem == LOCKED_OUT:  # the form already said why
            return [SlotSet("order_access_problem", None), SlotSet("order_number", None)]
        request = tracker.get_slot("pending_request") or "track_order"
        return await run_request(dispatcher, tracker, request)


async def run_request(dispatcher: CollectingDispatcher, tracker: Tracker, request: str) -> list[EventType]:
    """Answers `request` about the order in context, with the shopper-facing error handling."""
    try:
        order = await visible_order(tracker, tracker.get_slot("order_number"))
        if order is None:
            dispatcher.utter_message(text=texts.order_not_visible())
            return [SlotSet("order_number", None)]
        return await REQUEST_HANDLERS.get(request, answer_tracking)(dispatcher, tracker, order)
    except BackendUnavailable as error:
        return backend_down(dispatcher, error)
    except ChangeRefused as error:
        dispatcher.utter_message(text=texts.refused(error, tracker.get_slot("order_number")))
        return []


# --------------------------------------------------------------------------- confirmations


async def do_cancel(tracker: Tracker, order: Order, code: str | None) -> str:
    cancelled = await orders_client().cancel(order.number, reason="requested by the customer in chat", code=code)
    return texts.cancelled(cancelled)


async def do_return(tracker: Tracker, order: Order, code: str | None) -> str:
    refund = await orders_client().start_return(order.number, reason="requested by the customer in chat", code=code)
    return texts.return_started(order, refund)


async def do_address_change(tracker: Tracker, order: Order, code: str | None) -> str:
    address = {
        "name": order.shipping_address.name,
        "line1": tracker.get_slot("address_street"),
        "city": tracker.get_slot("address_city"),
        "postcode": tracker.get_slot("address_postcode"),
        "country": order.shipping_address.country,
    }
    updated = await orders_client().change_shipping_address(order.number, address, code=code)
    return texts.address_changed(updated)


CHANGES: dict[str, Callable[[Tracker, Order, str | None], Awaitable[str]]] = {
    "cancel_order": do_cancel,
    "get_refund": do_return,
    "change_shipping_address": do_address_change,
}
CORRECTION_WORDS = ("other", "another", "different", "wrong", "meant", "not that", "order")


class ActionHandleYesNo(Action):
    """Yes/no: confirms or declines a pending change, corrects the order, or just acknowledges."""

    def name(self) -> str:
        return "action_handle_yes_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # The code form opens only when this turn sent a code (see the rules); reset it otherwise.
        return [SlotSet(CODE_SENT, False), *await self._answer(dispatcher, tracker)]

    async def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        said_yes = tracker.latest_message.get("intent", {}).get("name") == "affirm"
        pending = tracker.get_slot("awaiting_confirmation")
        if pending == HANDOFF_OFFERED:
            if said_yes:
                return [FollowupAction("action_handoff")]
            dispatcher.utter_message(text=texts.person_declined())
            return [SlotSet("awaiting_confirmation", None)]
        if pending in CHANGES:
            if said_yes:
                return await self._carry_out(dispatcher, tracker, pending)
            dispatcher.utter_message(text=texts.change_declined(tracker.get_slot("order_number")))
            return [SlotSet("awaiting_confirmation", None)]
        if not said_yes and is_order_correction(tracker):
            return switch_order(tracker)
        dispatcher.utter_message(text=texts.acknowledged(said_yes))
        return []

    async def _carry_out(self, dispatcher: CollectingDispatcher, tracker: Tracker, change: str) -> list[EventType]:
        done = [SlotSet("awaiting_confirmation", None)]
        try:
            order = await visible_order(tracker, tracker.get_slot("order_number"))
            if order is None:
                dispatcher.utter_message(text=texts.order_not_changeable())
                return done
            if app_customer_id(tracker) is None:
                return done + await send_code(dispatcher, order, change)
            dispatcher.utter_message(text=await CHANGES[change](tracker, order, None))
        except BackendUnavailable as error:
            return backend_down(dispatcher, error)
        except ChangeRefused as error:
            dispatcher.utter_message(text=texts.refused(error, tracker.get_slot("order_number")))
        except OrdersError as error:
            logger.error("order change %s failed: %s", change, error)
            dispatcher.utter_message(text=texts.change_failed())
        return done


async def send_code(dispatcher: CollectingDispatcher, order: Order, change: str) -> list[EventType]:
    """An email/ZIP proof is enough to read, not to change: mail a one-time code and wait for it."""
    try:
        sent = await orders_client().request_change_code(order.number, CODE_PURPOSE[change])
    except CodeRejected as error:  # too many codes for this order within the hour
        dispatcher.utter_message(text=texts.code_not_sent(texts.code_reason(error)))
        return []
    except BackendUnavailable as error:  # includes the shop's mail server refusing the mail
        logger.error("no change code sent for order %s: %s", order.number, error)
        dispatcher.utter_message(text=texts.code_mail_down())
        return []
    minutes = max(1, round((sent.expires_at - datetime.now(UTC)).total_seconds() / 60))
    dispatcher.utter_message(text=texts.code_sent(sent.sent_to, minutes))
    return [
        SlotSet(PENDING_CHANGE, change),
        SlotSet(CHANGE_ORDER, order.number),
        SlotSet(CHANGE_CODE, None),
        SlotSet(CODE_SENT, True),
    ]


class ValidateChangeCodeForm(FormValidationAction):
    """Takes the 8 digits of the emailed code from whatever the shopper typed ("it's 4821 9037")."""

    def name(self) -> str:
        return "validate_change_code_form"

    async def extract_change_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != CHANGE_CODE:
            return {}
        match = CODE_LIKE.search(tracker.latest_message.get("text") or "")
        return {CHANGE_CODE: re.sub(r"\D", "", match.group(0))} if match else {}

    async def validate_change_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # The NLU may take a long number for an order number: the order of the change is kept apart.
        keep = {"order_number": tracker.get_slot(CHANGE_ORDER)}
        if re.fullmatch(rf"\d{{{CODE_DIGITS}}}", str(value or "")):
            return {CHANGE_CODE: str(value), **keep}
        dispatcher.utter_message(text=texts.code_format(CODE_DIGITS))
        return {CHANGE_CODE: None, **keep}


class ActionApplyChange(Action):
    """After the code form: the backend makes the change only if the code is valid (and spends it)."""

    def name(self) -> str:
        return "action_apply_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        change, number = tracker.get_slot(PENDING_CHANGE), tracker.get_slot(CHANGE_ORDER)
        code = tracker.get_slot(CHANGE_CODE)
        finished = [SlotSet(PENDING_CHANGE, None), SlotSet(CHANGE_CODE, None), SlotSet(CODE_SENT, False)]
        if change not in CHANGES or not number or not code:
            dispatcher.utter_message(text=texts.change_lost())
            return finished
        try:
            order = await visible_order(tracker, number)
            if order is None:
                dispatcher.utter_message(text=texts.order_not_changeable())
                return finished
            dispatcher.utter_message(text=await CHANGES[change](tracker, order, code))
        except CodeRejected as error:
            if error.code == "code_invalid":
                dispatcher.utter_message(text=texts.code_wrong(error))
                return [SlotSet(CHANGE_CODE, None), FollowupAction("change_code_form")]
            dispatcher.utter_message(text=texts.code_unusable(error))
        except BackendUnavailable as error:
            return finished + backend_down(dispatcher, error)
        except ChangeRefused as error:
            dispatcher.utter_message(text=texts.refused(error, number))
        except OrdersError as error:
            logger.error("order change %s failed: %s", change, error)
            dispatcher.utter_message(text=texts.change_failed())
        return finished


def is_order_correction(tracker: Tracker) -> bool:
    text = (tracker.latest_message.get("text") or "").lower()
    has_number = next(tracker.get_latest_entity_values("order_number"), None) is not None
    return has_number or any(word in text for word in CORRECTION_WORDS)


def switch_order(tracker: Tracker) -> list[EventType]:
    """Re-asks the same question about another order ("no, the other order")."""
    new_number = next(tracker.get_latest_entity_values("order_number"), None)
    return [
        SlotSet("order_number", new_number),
        SlotSet("pending_request", tracker.get_slot("pending_request") or "track_order"),
        SlotSet("awaiting_confirmation", None),
        FollowupAction("order_access_form"),
    ]


class ActionHandleInform(Action):
    """A bare value outside a form: an order number starts (or redirects) an order question; a product,
    size, colour or list pick ("the second one") continues the product conversation; a short value the
    NLU found nothing in ("AURELIA") is searched as a brand or product name."""

    def name(self) -> str:
        return "action_handle_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if next(tracker.get_latest_entity_values("order_number"), None):
            return switch_order(tracker)
        if is_product_followup(tracker):
            return await answer_product_followup(dispatcher, tracker)
        searched = await search_bare_phrase(dispatcher, tracker)  # a brand or name the NLU did not tag
        if searched is not None:
            return searched
        entities = {entity.get("entity") for entity in tracker.latest_message.get("entities", [])}
        if entities & {"email", "postcode"}:
            dispatcher.utter_message(text=texts.details_without_request())
        else:
            dispatcher.utter_message(text=texts.ask_what_is_needed())
        return []


class ActionDeliveryPeriod(Action):
    """ "When will it arrive?": the ETA of the order in context, otherwise the general delivery times."""

    def name(self) -> str:
        return "action_delivery_period"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        number = tracker.get_slot("order_number")
        if number and needs_no_proof(tracker, number):
            return await run_request(dispatcher, tracker, "delivery_period")
        dispatcher.utter_message(text=shop_policies().answer("delivery_period"))
        return []
