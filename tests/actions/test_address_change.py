"""The new shipping address (actions/address_change.py): kept from the request, read whole from one answer,
only the missing parts asked for, and no complaint about a message that did not answer the question.

The validation action is called the way Rasa's address_form calls it: the tracker's events end with the
requested slot, the form's own action and the slot candidates Rasa found since the shopper's message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import order_form, order_requests
from actions.address_change import ADDRESS_SLOTS, ActionConfirmAddressChange, ValidateAddressForm
from actions.order_requests import ActionHandleOrderRequest
from tests.actions.fake_orders import FakeOrders, make_order
from tests.actions.order_tests import followups, slots_of, texts

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "domain.yml").read_text())
EMPTIED = dict.fromkeys(ADDRESS_SLOTS)
PROVEN = {"order_number": "104532", "verified_orders": ["104532"], "pending_request": "change_shipping_address"}


@pytest.fixture
def orders(monkeypatch: pytest.MonkeyPatch) -> FakeOrders:
    fake = FakeOrders(make_order("104532", status="processing"))
    for module in (order_form, order_requests):
        monkeypatch.setattr(module, "orders_client", lambda: fake)
    return fake


def user(text: str, intent: str = "inform") -> dict[str, Any]:
    parse_data = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], "metadata": {}}
    return {"event": "user", "text": text, "input_channel": "rest", "parse_data": parse_data}


def form_call(
    text: str, requested: str | None, candidates: dict[str, Any], slots: dict[str, Any] | None = None
) -> Tracker:
    """The tracker Rasa sends to validate_address_form after the shopper wrote `text`."""
    message = user(text)
    events = [
        message,
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": "address_form"},
        *({"event": "slot", "name": name, "value": value} for name, value in candidates.items()),
    ]
    return Tracker(
        sender_id="unit-test",
        slots={**PROVEN, **(slots or {}), "requested_slot": requested, **candidates},
        latest_message=message["parse_data"],
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "address_form"} if requested else {},
        latest_action_name="address_form",
    )


async def validate(tracker: Tracker) -> tuple[list[str], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateAddressForm().run(dispatcher, tracker, DOMAIN)
    return texts(dispatcher), slots_of(events)


# --------------------------------------------------------------------------- the form opens after the proof


@pytest.mark.parametrize("proof", ["jane@example.com", "62704", "my zip is 62704"])
async def test_the_proof_message_is_not_validated_as_an_address(proof) -> None:
    """Opening the form, Rasa validates the slots it was opened with (emptied) with the proof as the latest
    message: no error, and the proof's ZIP code does not become the new one."""
    said, slots = await validate(form_call(proof, requested=None, candidates=EMPTIED))
    assert said == []
    assert slots == EMPTIED


async def test_parts_taken_from_the_request_are_kept_when_the_form_opens() -> None:
    prefilled = {"address_city": "Austin", "address_postcode": "78701"}
    said, slots = await validate(form_call("jane@example.com", requested=None, candidates=prefilled))
    assert said == [] and slots == prefilled


# --------------------------------------------------------------------------- answers to the form


@pytest.mark.parametrize(
    "answer",
    ["12 Oak Street, Springfield, IL 62704", "Springfield IL 62704, 12 Oak Street", "62704, Springfield, 12 Oak St."],
)
async def test_a_whole_address_in_one_answer_fills_the_form(answer) -> None:
    said, slots = await validate(form_call(answer, "address_street", {"address_street": answer}))
    assert said == []
    assert slots["address_city"] == "Springfield" and slots["address_postcode"] == "62704"
    assert slots["address_street"].startswith("12 Oak St")


async def test_a_partial_answer_keeps_its_parts_and_leaves_only_the_rest_to_ask() -> None:
    answer = "12 Oak Street, Springfield"
    said, slots = await validate(form_call(answer, "address_street", {"address_street": answer}))
    assert said == []
    assert slots == {"address_street": "12 Oak Street", "address_city": "Springfield"}  # the ZIP code is asked next


async def test_another_part_than_the_one_asked_is_kept_and_the_asked_one_asked_again() -> None:
    said, slots = await validate(form_call("62565", "address_city", {"address_city": "62565"}))
    assert said == []
    assert slots == {"address_city": None, "address_postcode": "62565"}


async def test_an_answer_does_not_overwrite_a_part_already_given() -> None:
    answer = "500 Main St, Dallas TX 75201"
    given = {"address_city": "Austin", "address_postcode": "78701"}
    said, slots = await validate(form_call(answer, "address_street", {"address_street": answer}, slots=given))
    assert said == [] and slots == {"address_street": "500 Main St"}


@pytest.mark.parametrize(
    ("asked", "answer", "kept"),
    [("address_city", "New York", "New York"), ("address_street", "Oak Street 12", "Oak Street 12")],
)
async def test_a_bare_answer_is_the_part_that_was_asked(asked, answer, kept) -> None:
    said, slots = await validate(form_call(answer, asked, {asked: answer}))
    assert said == [] and slots == {asked: kept}


@pytest.mark.parametrize(
    ("asked", "answer", "complaint"),
    [
        ("address_street", "somewhere nice", "house number"),
        ("address_city", "what??", "city name"),
        ("address_postcode", "6270", "5 digits"),
    ],
)
async def test_an_answer_without_any_part_gets_one_complaint_about_the_part_asked(asked, answer, complaint) -> None:
    said, slots = await validate(form_call(answer, asked, {asked: answer}))
    assert len(said) == 1 and complaint in said[0]
    assert slots == {asked: None}


# --------------------------------------------------------------------------- an address in the request itself


def request_then_proof(request: str, tracker_factory) -> Tracker:
    events = [user(request, intent="change_shipping_address"), user("jane@example.com")]
    return tracker_factory("jane@example.com", slots=PROVEN, events=events)


async def test_a_whole_address_in_the_request_goes_straight_to_the_confirmation(tracker_factory, orders) -> None:
    tracker = request_then_proof("please send order 104532 to 500 Main St, Austin TX 78701 instead", tracker_factory)
    dispatcher = CollectingDispatcher()
    events = await ActionHandleOrderRequest().run(dispatcher, tracker, DOMAIN)
    intro, question = texts(dispatcher)
    assert "1 Elm Street, Springfield 62704" in intro  # where it goes today
    assert "order 104532 to 500 Main St, Austin 78701?" in question
    assert slots_of(events) == {
        "address_street": "500 Main St",
        "address_city": "Austin",
        "address_postcode": "78701",
        "awaiting_confirmation": "change_shipping_address",
    }
    assert followups(events) == []


async def test_part_of_an_address_in_the_request_is_kept_and_the_form_asks_the_rest(tracker_factory, orders) -> None:
    tracker = request_then_proof("can you ship order 104532 to Austin TX 78701 instead?", tracker_factory)
    dispatcher = CollectingDispatcher()
    events = await ActionHandleOrderRequest().run(dispatcher, tracker, DOMAIN)
    assert len(texts(dispatcher)) == 1  # the intro; the form asks for the street
    assert slots_of(events) == {"address_street": None, "address_city": "Austin", "address_postcode": "78701"}
    assert followups(events) == ["address_form"]


async def test_a_request_without_an_address_empties_what_an_earlier_change_left(tracker_factory, orders) -> None:
    events = [user("I need to change the delivery address", intent="change_shipping_address"), user("104532")]
    stale = {**PROVEN, "address_street": "9 Oak Avenue", "address_city": "Shelbyville"}
    tracker = tracker_factory("104532", slots=stale, events=events)
    result = await ActionHandleOrderRequest().run(CollectingDispatcher(), tracker, DOMAIN)
    assert slots_of(result) == EMPTIED and followups(result) == ["address_form"]


async def test_the_read_back_asks_again_when_a_part_is_missing() -> None:
    """After the form the three parts are set; should one be missing, the form asks for it, nothing is read back."""
    dispatcher = CollectingDispatcher()
    tracker = form_call("yes", None, {}, {"address_street": "12 Oak Street", "address_city": None})
    events = await ActionConfirmAddressChange().run(dispatcher, tracker, DOMAIN)
    assert followups(events) == ["address_form"]
    assert dispatcher.messages == []
