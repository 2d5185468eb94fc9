"""The actions' own logic around proofs and emailed change codes (the backend is a stand-in here;
tests/backends and tests/e2e run the real one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import order_form, order_requests
from actions.order_form import ValidateOrderAccessForm, client_keys
from actions.order_requests import ActionHandleYesNo, ValidateChangeCodeForm
from contracts.identity import sender_id_for
from contracts.orders import CodeSent, OwnershipCheck
from service_clients.orders import ChangeRefused

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


class FakeOrders:
    """Records the calls the actions make; answers like the backend would."""

    def __init__(self, check: OwnershipCheck | None = None) -> None:
        self.calls: list[tuple] = []
        self.check = check or OwnershipCheck(verified=False)

    async def verify_owner(self, number, **kwargs):
        self.calls.append(("verify_owner", number, kwargs))
        return self.check

    async def get_order(self, number, customer_id=None):
        self.calls.append(("get_order", number, customer_id))
        return SimpleNamespace(number=number, customer_id="C7")

    async def request_change_code(self, number, purpose):
        self.calls.append(("request_change_code", number, purpose))
        return CodeSent(sent_to="j***@example.com", expires_at=datetime.now(UTC) + timedelta(minutes=10))

    async def cancel(self, number, reason, code=None):
        self.calls.append(("cancel", number, code))
        raise ChangeRefused("not_cancellable", "the stand-in stops here.")  # the call is what is checked


@pytest.fixture
def orders(monkeypatch) -> FakeOrders:
    fake = FakeOrders()
    for module in (order_form, order_requests):
        monkeypatch.setattr(module, "orders_client", lambda: fake)
    return fake


def test_client_keys_name_the_conversation_and_a_voice_caller(tracker_factory) -> None:
    assert client_keys(tracker_factory(sender_id="abc")) == ["conversation:rest:abc"]
    voice = tracker_factory(sender_id="call-1", input_channel="voice", metadata={"caller": "+15551234567"})
    assert client_keys(voice) == ["conversation:voice:call-1", "caller:voice:+15551234567"]
    rest = tracker_factory(sender_id="x", metadata={"caller": "+15551234567"})  # only the gateway may say so
    assert client_keys(rest) == ["conversation:rest:x"]


async def test_anonymous_number_is_not_looked_up_and_a_failed_proof_has_one_text(tracker_factory, orders) -> None:
    form = ValidateOrderAccessForm()
    dispatcher = CollectingDispatcher()
    slots = await form.validate_order_number("999999", dispatcher, tracker_factory(), {})
    assert slots["order_number"] == "999999" and not dispatcher.messages and orders.calls == []
    tracker = tracker_factory(sender_id="s1", slots={"order_number": "999999"})
    await form.validate_order_proof("12345", dispatcher, tracker, {})
    assert orders.calls == [("verify_owner", "999999", {"postcode": "12345", "clients": ["conversation:rest:s1"]})]
    assert "couldn't confirm that order with those details" in dispatcher.messages[-1]["text"]
    assert "999999" not in dispatcher.messages[-1]["text"]


async def test_a_locked_out_order_ends_the_form_with_a_clear_text(tracker_factory, orders) -> None:
    orders.check = OwnershipCheck(verified=False, locked=True, retry_after_s=600)
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(slots={"order_number": "104532"})
    slots = await ValidateOrderAccessForm().validate_order_proof("62704", dispatcher, tracker, {})
    assert slots["order_access_problem"] == order_form.LOCKED_OUT
    assert "too many unsuccessful attempts" in dispatcher.messages[-1]["text"]
    assert "10 minutes" in dispatcher.messages[-1]["text"]


async def test_yes_from_an_anonymous_visitor_mails_a_code_instead_of_changing(tracker_factory, orders) -> None:
    tracker = tracker_factory(
        intent="affirm",
        slots={"awaiting_confirmation": "cancel_order", "order_number": "104532", "verified_orders": ["104532"]},
    )
    dispatcher = CollectingDispatcher()
    events = await ActionHandleYesNo().run(dispatcher, tracker, {})
    assert ("request_change_code", "104532", "cancel") in orders.calls
    assert not any(call[0] == "cancel" for call in orders.calls)
    assert "j***@example.com" in dispatcher.messages[-1]["text"]
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["change_code_sent"] is True and slots["pending_change"] == "cancel_order"
    assert slots["change_order"] == "104532"


async def test_yes_from_a_logged_in_app_user_changes_without_a_code(tracker_factory, orders, monkeypatch) -> None:
    monkeypatch.setenv("APP_JWT_SECRET", SECRET)
    monkeypatch.delenv("APP_SENDER_ID_KEY", raising=False)
    tracker = tracker_factory(
        intent="affirm",
        slots={"awaiting_confirmation": "cancel_order", "order_number": "104532"},
        metadata={"customer_id": "C7"},
        input_channel="app",
        sender_id=sender_id_for("C7", SECRET),
    )
    dispatcher = CollectingDispatcher()
    events = await ActionHandleYesNo().run(dispatcher, tracker, {})
    assert ("cancel", "104532", None) in orders.calls
    assert not any(call[0] == "request_change_code" for call in orders.calls)
    assert {"event": "slot", "name": "change_code_sent", "value": False, "timestamp": None} in events


async def test_the_code_is_read_from_what_the_shopper_typed(tracker_factory) -> None:
    form = ValidateChangeCodeForm()
    asked = {"requested_slot": "change_code", "change_order": "104532", "order_number": "48219037"}
    typed = tracker_factory("it's 4821 9037", slots=asked)
    extracted = await form.extract_change_code(CollectingDispatcher(), typed, {})
    assert extracted == {"change_code": "48219037"}
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(slots=asked)
    assert await form.validate_change_code("48219037", dispatcher, tracker, {}) == {
        "change_code": "48219037",
        "order_number": "104532",  # a long number the NLU took for an order number is put back
    }
    assert (await form.validate_change_code("123", dispatcher, tracker, {}))["change_code"] is None
    assert "8 digits" in dispatcher.messages[-1]["text"]
