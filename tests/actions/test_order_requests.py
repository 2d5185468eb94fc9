"""Order requests' own logic (actions/order_requests.py): cancel, return and address change (offer,
confirmation, the one-time code for anonymous visitors, success and refusal), the read-only answers,
and what the shopper is told when the order backend is down.

The backend is a stand-in (tests/actions/fake_orders.py); the real backend's rules (what may be
cancelled, codes, lockouts) are tested in tests/backends, the whole conversation in tests/e2e."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import order_form, order_requests
from actions.address_change import ActionConfirmAddressChange, ValidateAddressForm
from actions.order_form import BACKEND_DOWN, LOCKED_OUT, TOO_MANY_ATTEMPTS
from actions.order_requests import ActionApplyChange, ActionHandleOrderRequest, ActionHandleYesNo
from contracts.shop_policies import shop_policies
from service_clients.orders import ChangeRefused, CodeRejected, InvalidRequest
from tests.actions.fake_orders import FakeOrders, make_order
from tests.actions.order_tests import followups, slots_of, texts

NEW_ADDRESS = {"address_street": "9 Oak Avenue", "address_city": "Shelbyville", "address_postcode": "62565"}
# What each change is called in the conversation, in the backend's code request, and in the client.
CHANGES = [
    ("cancel_order", "cancel", "cancel"),
    ("get_refund", "return", "start_return"),
    ("change_shipping_address", "shipping_address", "change_shipping_address"),
]


@pytest.fixture
def orders(monkeypatch: pytest.MonkeyPatch) -> FakeOrders:
    fake = FakeOrders(
        make_order("104532", status="processing"),
        make_order("118204", status="shipped"),
        make_order("120001", status="delivered"),
    )
    for module in (order_form, order_requests):
        monkeypatch.setattr(module, "orders_client", lambda: fake)
    return fake


@pytest.fixture
def anonymous(tracker_factory):
    """An anonymous visitor who proved orders 104532, 118204 and 120001 (by email or ZIP)."""

    def make(**kwargs: Any):
        slots = {"verified_orders": ["104532", "118204", "120001"], **kwargs.pop("slots", {})}
        return tracker_factory(slots=slots, **kwargs)

    return make


async def handle(tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, await ActionHandleOrderRequest().run(dispatcher, tracker, {})


async def answer_yes_no(tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, await ActionHandleYesNo().run(dispatcher, tracker, {})


async def apply_change(tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, await ActionApplyChange().run(dispatcher, tracker, {})


# --------------------------------------------------------------------------- what the form left behind


async def test_too_many_wrong_proofs_point_to_the_team_and_forget_the_number(anonymous, orders) -> None:
    dispatcher, events = await handle(anonymous(slots={"order_access_problem": TOO_MANY_ATTEMPTS, "order_number": "1"}))
    (text,) = texts(dispatcher)
    assert shop_policies().fact("support_email") in text and "can't share or change it" in text
    assert slots_of(events) == {"order_access_problem": None, "order_number": None}
    assert orders.calls == []


async def test_a_lockout_the_form_explained_is_not_explained_twice(anonymous, orders) -> None:
    dispatcher, events = await handle(anonymous(slots={"order_access_problem": LOCKED_OUT, "order_number": "104532"}))
    assert texts(dispatcher) == [] and orders.calls == []
    assert slots_of(events) == {"order_access_problem": None, "order_number": None}


async def test_an_order_the_visitor_did_not_prove_is_not_shown(tracker_factory, orders) -> None:
    tracker = tracker_factory(slots={"order_number": "104532", "pending_request": "track_order", "verified_orders": []})
    dispatcher, events = await handle(tracker)
    assert texts(dispatcher) == ["Sorry, I can't show that order. Could you give me the order number again?"]
    assert slots_of(events) == {"order_number": None}
    assert not orders.called("track")


async def test_an_app_user_is_not_shown_another_customers_order(app_user, orders) -> None:
    orders.orders["130000"] = make_order("130000", customer_id="C9")
    dispatcher, events = await handle(app_user(slots={"order_number": "130000", "pending_request": "track_order"}))
    assert "can't show that order" in texts(dispatcher)[0] and slots_of(events) == {"order_number": None}
    assert orders.calls == [("get_order", "130000", "C7")]  # the backend scopes the lookup to the customer


# --------------------------------------------------------------------------- read-only answers


async def test_tracking_answers_with_the_status_and_eta(anonymous, orders) -> None:
    dispatcher, events = await handle(anonymous(slots={"order_number": "104532", "pending_request": "track_order"}))
    (text,) = texts(dispatcher)
    assert "Order 104532" in text and "is being prepared" in text and "Friday 27 November" in text
    assert events == []


async def test_an_unpaid_invoice_is_refused_in_the_shops_words_for_the_backends_code(anonymous, orders) -> None:
    refusal = ChangeRefused("not_paid", "There is no invoice (backend wording).", {"status": "pending_payment"})
    orders.fail["invoice"] = refusal
    dispatcher, _ = await handle(anonymous(slots={"order_number": "104532", "pending_request": "check_invoice"}))
    assert texts(dispatcher) == [
        "Sorry, that isn't possible: there's no invoice for order 104532 yet: it is waiting for payment."
    ]


async def test_backend_down_while_answering_gets_the_apology(anonymous, orders) -> None:
    orders.down = True
    dispatcher, events = await handle(anonymous(slots={"order_number": "104532", "pending_request": "track_order"}))
    assert texts(dispatcher) == [shop_policies().message("backend_down")]
    assert slots_of(events) == {"order_access_problem": None, "awaiting_confirmation": None}


async def test_backend_down_reported_by_the_form_gets_the_apology_without_a_call(anonymous, orders) -> None:
    dispatcher, _ = await handle(anonymous(slots={"order_number": "104532", "order_access_problem": BACKEND_DOWN}))
    assert texts(dispatcher) == [shop_policies().message("backend_down")]
    assert orders.calls == []


# --------------------------------------------------------------------------- offering a change


async def test_a_cancellable_order_is_offered_with_yes_no_buttons(anonymous, orders) -> None:
    dispatcher, events = await handle(anonymous(slots={"order_number": "104532", "pending_request": "cancel_order"}))
    (message,) = dispatcher.messages
    assert "Shall I cancel it?" in message["text"] and "free of charge" in message["text"]
    assert [button["payload"] for button in message["buttons"]] == ["/affirm", "/deny"]
    assert slots_of(events) == {"awaiting_confirmation": "cancel_order"}
    assert not orders.called("cancel")


async def test_a_shipped_order_cannot_be_cancelled_and_the_return_is_suggested(anonymous, orders) -> None:
    dispatcher, events = await handle(anonymous(slots={"order_number": "118204", "pending_request": "cancel_order"}))
    assert "can't be cancelled any more" in texts(dispatcher)[0] and "return it" in texts(dispatcher)[0]
    assert events == []


async def test_a_delivered_order_is_offered_a_return(anonymous, orders) -> None:
    dispatcher, events = await handle(anonymous(slots={"order_number": "120001", "pending_request": "get_refund"}))
    assert "Shall I start the return?" in texts(dispatcher)[0]
    assert slots_of(events) == {"awaiting_confirmation": "get_refund"}


async def test_an_order_not_shipped_yet_is_offered_a_cancellation_instead_of_a_return(anonymous, orders) -> None:
    dispatcher, events = await handle(anonymous(slots={"order_number": "104532", "pending_request": "get_refund"}))
    assert "nothing to return" in texts(dispatcher)[0] and "cancel" in texts(dispatcher)[0]
    assert events == []


async def test_an_address_change_starts_the_address_form_with_empty_slots(anonymous, orders) -> None:
    tracker = anonymous(slots={"order_number": "104532", "pending_request": "change_shipping_address", **NEW_ADDRESS})
    dispatcher, events = await handle(tracker)
    assert "1 Elm Street, Springfield 62704" in texts(dispatcher)[0]
    assert slots_of(events) == dict.fromkeys(NEW_ADDRESS)
    assert followups(events) == ["address_form"]


async def test_a_shipped_orders_address_cannot_be_changed(anonymous, orders) -> None:
    tracker = anonymous(slots={"order_number": "118204", "pending_request": "change_shipping_address"})
    dispatcher, events = await handle(tracker)
    assert "can't be changed any more" in texts(dispatcher)[0]
    assert events == []


# --------------------------------------------------------------------------- the new address


@pytest.mark.parametrize(
    ("slot", "typed", "kept"),
    [
        ("address_street", "  9   Oak Avenue ", "9 Oak Avenue"),
        ("address_street", "Oak Avenue", None),  # no house number
        ("address_street", "12", None),
        ("address_city", "shelbyville.", "Shelbyville"),
        ("address_city", "St. Louis", "St. Louis"),
        ("address_city", "1234", None),  # (a ZIP code given for the city: tests/actions/test_address_change.py)
        ("address_postcode", "it's 62565-1234", "62565"),
        ("address_postcode", "6256", None),
    ],
)
async def test_each_address_slot_is_validated(tracker_factory, slot, typed, kept) -> None:
    """Each slot as the answer to the form's question for it."""
    dispatcher = CollectingDispatcher()
    validate = getattr(ValidateAddressForm(), f"validate_{slot}")
    answer = tracker_factory(typed, slots={"requested_slot": slot})
    assert await validate(typed, dispatcher, answer, {}) == {slot: kept}
    assert (texts(dispatcher) == []) == (kept is not None)  # a refused value is explained


async def test_the_new_address_is_read_back_for_confirmation(anonymous) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionConfirmAddressChange().run(
        dispatcher, anonymous(slots={"order_number": "104532", **NEW_ADDRESS}), {}
    )
    assert "order 104532 to 9 Oak Avenue, Shelbyville 62565?" in texts(dispatcher)[0]
    assert slots_of(events) == {"awaiting_confirmation": "change_shipping_address"}


# --------------------------------------------------------------------------- yes / no


async def test_no_changes_nothing(anonymous, orders) -> None:
    tracker = anonymous(intent="deny", slots={"awaiting_confirmation": "cancel_order", "order_number": "104532"})
    dispatcher, events = await answer_yes_no(tracker)
    assert texts(dispatcher) == ["OK, I haven't changed anything on order 104532."]
    assert slots_of(events) == {"change_code_sent": False, "awaiting_confirmation": None}
    assert orders.calls == []


@pytest.mark.parametrize(("change", "purpose", "_operation"), CHANGES)
async def test_an_anonymous_yes_mails_a_code_for_that_change(anonymous, orders, change, purpose, _operation) -> None:
    tracker = anonymous(
        intent="affirm", slots={"awaiting_confirmation": change, "order_number": "104532", **NEW_ADDRESS}
    )
    dispatcher, events = await answer_yes_no(tracker)
    assert orders.calls == [("get_order", "104532", None), ("request_change_code", "104532", purpose)]
    assert "j***@example.com" in texts(dispatcher)[0] and "10 minutes" in texts(dispatcher)[0]
    assert slots_of(events) == {
        "change_code_sent": True,
        "awaiting_confirmation": None,
        "pending_change": change,
        "change_order": "104532",
        "change_code": None,
    }


async def test_too_many_codes_are_explained_and_nothing_waits(anonymous, orders) -> None:
    orders.fail["request_change_code"] = CodeRejected("too_many_codes", "Too many codes (backend wording).")
    tracker = anonymous(intent="affirm", slots={"awaiting_confirmation": "cancel_order", "order_number": "104532"})
    dispatcher, events = await answer_yes_no(tracker)
    assert texts(dispatcher) == [
        "Sorry, I couldn't send you a code: too many codes were sent for this order in the last hour; please try "
        "again later. Nothing was changed."
    ]
    assert slots_of(events) == {"change_code_sent": False, "awaiting_confirmation": None}


async def test_a_code_mail_that_cannot_be_sent_is_explained(anonymous, orders) -> None:
    orders.fail["request_change_code"] = order_requests.BackendUnavailable("mail server refused")
    tracker = anonymous(intent="affirm", slots={"awaiting_confirmation": "get_refund", "order_number": "120001"})
    dispatcher, events = await answer_yes_no(tracker)
    assert "couldn't send you a code: the email couldn't be sent right now." in texts(dispatcher)[0]
    assert slots_of(events)["change_code_sent"] is False


@pytest.mark.parametrize(
    ("change", "number", "operation", "done"),
    [
        ("cancel_order", "104532", "cancel", "Done: order 104532 is cancelled. A refund of $100.00"),
        ("get_refund", "120001", "start_return", "Your return for order 120001 is started: refund of $100.00"),
        (
            "change_shipping_address",
            "104532",
            "change_shipping_address",
            "will now ship to 9 Oak Avenue, Shelbyville 62565",
        ),
    ],
)
async def test_an_app_users_yes_makes_the_change_at_once(app_user, orders, change, number, operation, done) -> None:
    tracker = app_user(intent="affirm", slots={"awaiting_confirmation": change, "order_number": number, **NEW_ADDRESS})
    dispatcher, events = await answer_yes_no(tracker)
    assert done in texts(dispatcher)[0]
    (call,) = orders.called(operation)
    assert call[1] == number and call[-1] is None  # no code: the app channel verified the customer
    assert not orders.called("request_change_code")
    assert slots_of(events) == {"change_code_sent": False, "awaiting_confirmation": None}


async def test_the_address_sent_keeps_the_name_and_country_of_the_order(app_user, orders) -> None:
    tracker = app_user(
        intent="affirm",
        slots={"awaiting_confirmation": "change_shipping_address", "order_number": "104532", **NEW_ADDRESS},
    )
    await answer_yes_no(tracker)
    (call,) = orders.called("change_shipping_address")
    assert call[2] == {
        "name": "Jane Doe",
        "line1": "9 Oak Avenue",
        "city": "Shelbyville",
        "postcode": "62565",
        "country": "US",
    }


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            ChangeRefused("already_shipped", "backend wording", {"status": "shipped"}),
            "Sorry, that isn't possible: order 104532 has shipped, so it can't be changed any more.",
        ),
        (
            ChangeRefused("a_code_the_catalogue_lacks", "backend wording"),
            "Sorry, that isn't possible: that can't be done for order 104532 right now.",
        ),
        (
            InvalidRequest("bad address", {"postcode": "unknown"}),
            "Sorry, that change didn't go through. Nothing was changed.",
        ),
        (order_requests.BackendUnavailable("down"), shop_policies().message("backend_down")),
    ],
)
async def test_a_change_the_backend_refuses_or_cannot_make_is_explained(app_user, orders, error, said) -> None:
    orders.fail["cancel"] = error
    tracker = app_user(intent="affirm", slots={"awaiting_confirmation": "cancel_order", "order_number": "104532"})
    dispatcher, events = await answer_yes_no(tracker)
    assert texts(dispatcher) == [said]
    assert slots_of(events)["awaiting_confirmation"] is None


# --------------------------------------------------------------------------- the one-time code


def code_typed(anonymous, change: str = "cancel_order", number: str = "104532", code: str | None = "48213907"):
    return anonymous(slots={"pending_change": change, "change_order": number, "change_code": code, **NEW_ADDRESS})


@pytest.mark.parametrize(("change", "_purpose", "operation"), CHANGES)
async def test_a_valid_code_makes_the_change_with_that_code(anonymous, orders, change, _purpose, operation) -> None:
    dispatcher, events = await apply_change(code_typed(anonymous, change))
    (call,) = orders.called(operation)
    assert call[1] == "104532" and call[-1] == "48213907"
    assert texts(dispatcher)[0].startswith(("Done", "Your return"))
    assert slots_of(events) == {"pending_change": None, "change_code": None, "change_code_sent": False}


async def test_a_wrong_code_asks_again(anonymous, orders) -> None:
    orders.fail["cancel"] = CodeRejected("code_invalid", "backend wording", {"tries_left": 2})
    dispatcher, events = await apply_change(code_typed(anonymous))
    assert texts(dispatcher) == [
        "That code is not right; you have 2 more tries. Please type the 8-digit code from the email again "
        "(or say 'stop')."
    ]
    assert slots_of(events) == {"change_code": None}
    assert followups(events) == ["change_code_form"]


async def test_an_expired_code_ends_the_change(anonymous, orders) -> None:
    orders.fail["cancel"] = CodeRejected("code_expired", "backend wording")
    dispatcher, events = await apply_change(code_typed(anonymous))
    assert "This code can no longer be used" in texts(dispatcher)[0]
    assert "Nothing was changed." in texts(dispatcher)[0]
    assert slots_of(events) == {"pending_change": None, "change_code": None, "change_code_sent": False}
    assert followups(events) == []


async def test_a_refusal_after_the_code_is_explained(anonymous, orders) -> None:
    orders.fail["start_return"] = ChangeRefused(
        "return_window_closed", "backend wording", {"days": 30, "closed_on": "2026-11-02"}
    )
    dispatcher, _ = await apply_change(code_typed(anonymous, "get_refund", "120001"))
    assert texts(dispatcher) == [
        "Sorry, that isn't possible: the 30-day return window for order 120001 closed on Monday 2 November."
    ]


async def test_backend_down_after_the_code_gets_the_apology(anonymous, orders) -> None:
    orders.down = True
    dispatcher, events = await apply_change(code_typed(anonymous))
    assert texts(dispatcher) == [shop_policies().message("backend_down")]
    assert slots_of(events)["pending_change"] is None


@pytest.mark.parametrize(
    "slots",
    [
        {"pending_change": None, "change_order": "104532", "change_code": "48213907"},
        {"pending_change": "cancel_order", "change_order": None, "change_code": "48213907"},
        {"pending_change": "cancel_order", "change_order": "104532", "change_code": None},
        {"pending_change": "delete_everything", "change_order": "104532", "change_code": "48213907"},
    ],
)
async def test_a_change_without_its_order_code_or_kind_is_not_made(anonymous, orders, slots) -> None:
    dispatcher, _ = await apply_change(anonymous(slots=slots))
    assert texts(dispatcher) == ["Sorry, I lost track of that change. Nothing was changed."]
    assert orders.calls == []


async def test_a_code_for_an_order_the_visitor_did_not_prove_changes_nothing(tracker_factory, orders) -> None:
    tracker = tracker_factory(
        slots={"pending_change": "cancel_order", "change_order": "104532", "change_code": "48213907"}
    )
    dispatcher, _ = await apply_change(tracker)
    assert texts(dispatcher) == ["Sorry, I can't change that order."]
    assert not orders.called("cancel")
