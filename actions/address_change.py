"""The new shipping address of an address change: kept from the request, asked for what is missing, read back.

An address may come whole in one message, in the request itself ("please send order 104532 to 500 Main St,
Austin TX 78701 instead") or in answer to the form's first question; `actions/addresses.py` finds its
parts in any order. Only the parts still missing are asked for (`address_form`), and a complete address
goes straight to the yes/no question. The change itself is made by `order_requests.py` after the yes.

A shopper is only told a part is wrong about a message that answered the form's question for it. When
the form opens, Rasa also validates the slots it was opened with (emptied, or filled from the request):
those are checked silently, never reported as a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import order_texts as texts
from actions.addresses import PostalAddress, clean_city, clean_postcode, clean_street, parse_address

ADDRESS_FORM = "address_form"
REQUEST = "change_shipping_address"
# Each slot of the form, the part of a PostalAddress it holds, its check and what a wrong answer is told.
ADDRESS_SLOTS = ("address_street", "address_city", "address_postcode")
PARTS = dict(zip(ADDRESS_SLOTS, ("street", "city", "postcode"), strict=True))
CHECKS: dict[str, Callable[[str], str | None]] = dict(
    zip(ADDRESS_SLOTS, (clean_street, clean_city, clean_postcode), strict=True)
)
INVALID: dict[str, Callable[[], str]] = dict(
    zip(ADDRESS_SLOTS, (texts.street_invalid, texts.city_invalid, texts.postcode_invalid), strict=True)
)


def slot_values(address: PostalAddress) -> dict[str, str | None]:
    return {slot: getattr(address, part) for slot, part in PARTS.items()}


def order_numbers(tracker: Tracker) -> set[str]:
    """Numbers in the conversation that are order numbers, never house numbers or ZIP codes."""
    return {
        str(number)
        for number in (tracker.get_slot("order_number"), *tracker.get_latest_entity_values("order_number"))
        if number
    }


def address_in_request(tracker: Tracker) -> PostalAddress:
    """The address written in the message that asked for the change, if any (the latest such message)."""
    for event in reversed(tracker.events):
        parse_data = event.get("parse_data") or {}
        if event.get("event") == "user" and (parse_data.get("intent") or {}).get("name") == REQUEST:
            return parse_address(event.get("text") or "", ignore=order_numbers(tracker))
    return PostalAddress()


def start_address_form(tracker: Tracker, dispatcher: CollectingDispatcher) -> list[EventType]:
    """Slots from the request's address (emptied otherwise); the form asks only for what is missing."""
    address = address_in_request(tracker)
    slots = [SlotSet(slot, value) for slot, value in slot_values(address).items()]
    if address.is_complete:
        return [*slots, *offer_address_change(dispatcher, tracker.get_slot("order_number"), address)]
    return [*slots, FollowupAction(ADDRESS_FORM)]


def offer_address_change(
    dispatcher: CollectingDispatcher, order_number: str | None, address: PostalAddress
) -> list[EventType]:
    """Reads the new address back; "yes" makes the change (action_handle_yes_no). Incomplete: ask the rest."""
    street, city, postcode = address.street, address.city, address.postcode
    if street is None or city is None or postcode is None:
        return [FollowupAction(ADDRESS_FORM)]
    dispatcher.utter_message(
        text=texts.confirm_address_change(order_number, street, city, postcode),
        buttons=texts.yes_no_buttons(),
    )
    return [SlotSet("awaiting_confirmation", REQUEST)]


class ValidateAddressForm(FormValidationAction):
    """Reads every address part in an answer to the form, whichever part was asked for."""

    def name(self) -> str:
        return "validate_address_form"

    async def validate_address_street(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate("address_street", value, dispatcher, tracker)

    async def validate_address_city(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate("address_city", value, dispatcher, tracker)

    async def validate_address_postcode(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate("address_postcode", value, dispatcher, tracker)

    def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        if value is None:  # emptied when the form opens: nothing was answered
            return {slot: None}
        if tracker.get_slot("requested_slot") != slot:  # filled from the request, not an answer
            return {slot: CHECKS[slot](str(value))}
        return self._answer(slot, dispatcher, tracker)

    def _answer(self, asked: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """The parts in the shopper's answer: the part asked for, and any other part still missing."""
        text = tracker.latest_message.get("text") or ""
        found = {slot: part for slot, part in slot_values(parse_address(text, order_numbers(tracker))).items() if part}
        if not found and (whole := CHECKS[asked](text)):  # a bare answer: "Springfield", "Oak Street 12"
            found[asked] = whole
        if not found:
            dispatcher.utter_message(text=INVALID[asked]())
            return {asked: None}
        others = {slot: part for slot, part in found.items() if slot != asked and tracker.get_slot(slot) is None}
        return {asked: found.get(asked), **others}


class ActionConfirmAddressChange(Action):
    """After the form: the new address read back for a yes."""

    def name(self) -> str:
        return "action_confirm_address_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        street, city, postcode = (tracker.get_slot(slot) for slot in ADDRESS_SLOTS)
        address = PostalAddress(street=street, city=city, postcode=postcode)
        return offer_address_change(dispatcher, tracker.get_slot("order_number"), address)
