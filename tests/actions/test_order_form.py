"""The order access form's own logic (actions/order_form.py): each slot's extraction and validation,
the ownership proof, and what the shopper is told when the order backend is down or slow.

The backend is a stand-in (tests/actions/fake_orders.py), except in the slow-backend test, which runs
the real client against a server that answers too late. The real backend's proof counting and
lockout are tested in tests/backends, the whole conversation in tests/e2e."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from rasa_sdk.executor import CollectingDispatcher

from actions import order_form, order_requests
from actions.order_form import (
    BACKEND_DOWN,
    LOCKED_OUT,
    MAX_PROOF_ATTEMPTS,
    TOO_MANY_ATTEMPTS,
    ActionAskOrderNumber,
    ActionSetRequest,
    ValidateOrderAccessForm,
)
from actions.order_requests import ActionHandleOrderRequest
from contracts.orders import OwnershipCheck
from contracts.shop_policies import shop_policies
from service_clients.orders import OrdersClient
from tests.actions.fake_orders import FakeOrders, make_order
from tests.actions.order_tests import slots_of, texts

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "domain.yml").read_text())


@pytest.fixture
def orders(monkeypatch: pytest.MonkeyPatch) -> FakeOrders:
    fake = FakeOrders(make_order("104532", customer_id="C7"), make_order("118204", customer_id="C9"))
    for module in (order_form, order_requests):
        monkeypatch.setattr(module, "orders_client", lambda: fake)
    return fake


def form_turn(tracker_factory, text: str, slots: dict[str, Any], candidates: dict[str, Any] | None = None, **kwargs):
    """A turn inside the form as Rasa sends it to the validation action: the user message, then the
    slot values Rasa's own mappings extracted from it (from_entity) as the last events."""
    user = {"event": "user", "text": text, "input_channel": kwargs.get("input_channel", "rest"), "parse_data": {}}
    candidate_events = [{"event": "slot", "name": name, "value": value} for name, value in (candidates or {}).items()]
    tracker = tracker_factory(text, slots={**slots, **(candidates or {})}, events=[user, *candidate_events], **kwargs)
    tracker.latest_message["metadata"] = kwargs.get("metadata") or {}
    user["parse_data"] = tracker.latest_message
    return tracker


# --------------------------------------------------------------------------- the request and the question


async def test_set_request_remembers_the_question_and_clears_what_an_earlier_one_left(tracker_factory) -> None:
    tracker = tracker_factory("I want to cancel my order", intent="cancel_order")
    events = await ActionSetRequest().run(CollectingDispatcher(), tracker, DOMAIN)
    assert slots_of(events) == {
        "pending_request": "cancel_order",
        "awaiting_confirmation": None,
        "order_access_problem": None,
    }


async def test_an_anonymous_visitor_is_asked_for_the_number_without_a_lookup(tracker_factory, orders) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskOrderNumber().run(dispatcher, tracker_factory(), DOMAIN)
    assert orders.calls == []
    assert "6 digits" in texts(dispatcher)[0]


async def test_an_app_user_is_shown_their_recent_orders_only(app_user, orders) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskOrderNumber().run(dispatcher, app_user(), DOMAIN)
    assert orders.calls == [("list_customer_orders", "C7", 5)]
    (text,) = texts(dispatcher)
    assert "104532" in text and "118204" not in text


async def test_an_app_user_is_still_asked_when_the_backend_is_down(app_user, orders) -> None:
    orders.down = True
    dispatcher = CollectingDispatcher()
    await ActionAskOrderNumber().run(dispatcher, app_user(), DOMAIN)
    assert "6 digits" in texts(dispatcher)[0]


# --------------------------------------------------------------------------- which slots the form asks for


async def test_an_anonymous_visitor_must_prove_an_order_not_yet_proven(tracker_factory) -> None:
    form, dispatcher = ValidateOrderAccessForm(), CollectingDispatcher()
    unproven = tracker_factory(slots={"order_number": "104532", "verified_orders": ["118204"]})
    proven = tracker_factory(slots={"order_number": "118204", "verified_orders": ["118204"]})
    assert await form.required_slots([], dispatcher, unproven, DOMAIN) == ["order_number", "order_proof"]
    assert await form.required_slots([], dispatcher, proven, DOMAIN) == ["order_number"]


async def test_an_app_user_needs_no_proof_and_a_problem_ends_the_form(app_user, tracker_factory) -> None:
    form, dispatcher = ValidateOrderAccessForm(), CollectingDispatcher()
    assert await form.required_slots([], dispatcher, app_user(slots={"order_number": "104532"}), DOMAIN) == [
        "order_number"
    ]
    stopped = tracker_factory(slots={"order_access_problem": BACKEND_DOWN})
    assert await form.required_slots([], dispatcher, stopped, DOMAIN) == []


# --------------------------------------------------------------------------- order_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [("it's #10453", {"order_number": "10453"}), ("order 1045329", {"order_number": "1045329"}), ("no idea", {})],
)
async def test_a_number_the_nlu_did_not_tag_is_taken_while_the_number_is_asked(tracker_factory, text, expected) -> None:
    tracker = tracker_factory(text, slots={"requested_slot": "order_number"})
    assert await ValidateOrderAccessForm().extract_order_number(CollectingDispatcher(), tracker, DOMAIN) == expected


async def test_the_number_is_not_guessed_from_text_when_tagged_or_not_asked(tracker_factory) -> None:
    form = ValidateOrderAccessForm()
    tagged = tracker_factory(
        "order 104532",
        entities=[{"entity": "order_number", "value": "104532"}],
        slots={"requested_slot": "order_number"},
    )
    other_slot = tracker_factory("my zip is 62704", slots={"requested_slot": "order_proof"})
    assert await form.extract_order_number(CollectingDispatcher(), tagged, DOMAIN) == {}
    assert await form.extract_order_number(CollectingDispatcher(), other_slot, DOMAIN) == {}


@pytest.mark.parametrize("value", ["10453", "1045329", "order", ""])
async def test_a_number_without_six_digits_is_refused_with_an_example(tracker_factory, orders, value) -> None:
    dispatcher = CollectingDispatcher()
    slots = await ValidateOrderAccessForm().validate_order_number(value, dispatcher, tracker_factory(), DOMAIN)
    assert slots == {"order_number": None}
    assert "6 digits" in texts(dispatcher)[0]
    assert orders.calls == []


async def test_a_number_written_with_a_hash_or_spaces_is_normalised(tracker_factory, orders) -> None:
    slots = await ValidateOrderAccessForm().validate_order_number(
        "#104 532", CollectingDispatcher(), tracker_factory(), DOMAIN
    )
    assert slots["order_number"] == "104532"


async def test_a_new_unproven_number_asks_for_proof_again_and_a_proven_one_does_not(tracker_factory, orders) -> None:
    form = ValidateOrderAccessForm()
    stale_proof = {"order_proof": "jane@example.com", "verified_orders": ["118204"]}
    unproven = await form.validate_order_number(
        "104532", CollectingDispatcher(), tracker_factory(slots=stale_proof), DOMAIN
    )
    assert unproven == {"order_number": "104532", "order_proof": None}
    proven = await form.validate_order_number(
        "118204", CollectingDispatcher(), tracker_factory(slots=stale_proof), DOMAIN
    )
    assert proven == {"order_number": "118204"}
    assert orders.calls == []  # an anonymous visitor never learns whether a number exists


async def test_a_proof_given_in_the_same_message_is_kept(tracker_factory, orders) -> None:
    tracker = form_turn(
        tracker_factory,
        "104532 jane@example.com",
        {"requested_slot": "order_number"},
        candidates={"order_number": "104532", "order_proof": "jane@example.com"},
    )
    slots = await ValidateOrderAccessForm().validate_order_number("104532", CollectingDispatcher(), tracker, DOMAIN)
    assert slots == {"order_number": "104532"}


async def test_an_app_user_learns_which_numbers_are_not_theirs(app_user, orders) -> None:
    form = ValidateOrderAccessForm()
    dispatcher = CollectingDispatcher()
    own = await form.validate_order_number("104532", dispatcher, app_user(), DOMAIN)
    assert own["order_number"] == "104532" and "order_access_problem" not in own
    assert await form.validate_order_number("118204", dispatcher, app_user(), DOMAIN) == {"order_number": None}
    assert "couldn't find order 118204 among your orders" in texts(dispatcher)[-1]
    assert orders.called("get_order") == [("get_order", "104532", "C7"), ("get_order", "118204", "C7")]


async def test_an_app_users_number_with_the_backend_down_ends_the_form(app_user, orders) -> None:
    orders.down = True
    dispatcher = CollectingDispatcher()
    slots = await ValidateOrderAccessForm().validate_order_number("104532", dispatcher, app_user(), DOMAIN)
    assert slots == {"order_number": "104532", "order_access_problem": BACKEND_DOWN}


# --------------------------------------------------------------------------- order_proof


@pytest.mark.parametrize(
    ("text", "entities", "proof"),
    [
        ("it's Jane.Doe+shop@example.co.uk", [], "Jane.Doe+shop@example.co.uk"),
        ("zip 62704-1234", [], "62704"),
        ("the postcode", [{"entity": "postcode", "value": "62704"}], "62704"),
        ("jane@example.com, zip 62704", [], "jane@example.com"),  # the email wins
    ],
)
async def test_the_proof_is_taken_from_what_the_shopper_typed(tracker_factory, text, entities, proof) -> None:
    tracker = tracker_factory(text, entities=entities, slots={"requested_slot": "order_proof"})
    assert await ValidateOrderAccessForm().extract_order_proof(CollectingDispatcher(), tracker, DOMAIN) == {
        "order_proof": proof
    }


async def test_no_proof_is_taken_when_none_is_asked_or_given(tracker_factory) -> None:
    form = ValidateOrderAccessForm()
    not_asked = tracker_factory("jane@example.com", slots={"requested_slot": "order_number"})
    nothing = tracker_factory("I don't remember", slots={"requested_slot": "order_proof"})
    assert await form.extract_order_proof(CollectingDispatcher(), not_asked, DOMAIN) == {}
    assert await form.extract_order_proof(CollectingDispatcher(), nothing, DOMAIN) == {}


@pytest.mark.parametrize(("proof", "field"), [("jane@example.com", "email"), (" 62704 ", "postcode")])
async def test_a_right_proof_adds_the_order_to_verified_orders(tracker_factory, orders, proof, field) -> None:
    orders.check = OwnershipCheck(verified=True)
    tracker = tracker_factory(
        sender_id="s1", slots={"order_number": "104532", "verified_orders": ["118204"], "proof_failures": 2}
    )
    dispatcher = CollectingDispatcher()
    slots = await ValidateOrderAccessForm().validate_order_proof(proof, dispatcher, tracker, DOMAIN)
    assert slots == {"order_proof": None, "verified_orders": ["118204", "104532"], "proof_failures": 0}
    assert orders.calls == [("verify_owner", "104532", {field: proof.strip(), "clients": ["conversation:rest:s1"]})]
    assert texts(dispatcher) == []


async def test_wrong_proofs_are_counted_and_the_last_one_ends_the_form(tracker_factory, orders) -> None:
    form = ValidateOrderAccessForm()
    failures = 0
    for attempt in range(1, MAX_PROOF_ATTEMPTS + 1):
        dispatcher = CollectingDispatcher()
        tracker = tracker_factory(slots={"order_number": "104532", "proof_failures": failures})
        slots = await form.validate_order_proof("99999", dispatcher, tracker, DOMAIN)
        failures = slots["proof_failures"]
        assert failures == attempt and slots["order_proof"] is None
        assert "verified_orders" not in slots
        if attempt < MAX_PROOF_ATTEMPTS:
            assert "couldn't confirm that order with those details" in texts(dispatcher)[0]
            assert "order_access_problem" not in slots
        else:  # action_handle_order_request explains, with the team's contacts
            assert slots["order_access_problem"] == TOO_MANY_ATTEMPTS and texts(dispatcher) == []


async def test_a_locked_out_order_says_how_long_and_whom_to_ask(tracker_factory, orders) -> None:
    orders.check = OwnershipCheck(verified=False, locked=True, retry_after_s=1800)
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(slots={"order_number": "104532", "proof_failures": 1})
    slots = await ValidateOrderAccessForm().validate_order_proof("jane@example.com", dispatcher, tracker, DOMAIN)
    assert slots == {"order_proof": None, "order_access_problem": LOCKED_OUT}
    (text,) = texts(dispatcher)
    assert "30 minutes" in text and shop_policies().fact("support_email") in text


async def test_a_proof_without_an_order_number_is_not_checked(tracker_factory, orders) -> None:
    slots = await ValidateOrderAccessForm().validate_order_proof(
        "62704", CollectingDispatcher(), tracker_factory(), DOMAIN
    )
    assert slots == {"order_proof": None} and orders.calls == []


async def test_the_form_step_as_rasa_runs_it_proves_the_order(tracker_factory, orders) -> None:
    """The validation action as Rasa calls it, with the project's domain: extraction, validation,
    and the next slot to ask."""
    orders.check = OwnershipCheck(verified=True)
    tracker = form_turn(
        tracker_factory,
        "it's 62704",
        {"requested_slot": "order_proof", "order_number": "104532", "pending_request": "track_order"},
    )
    tracker.active_loop = {"name": "order_access_form"}
    events = await ValidateOrderAccessForm().run(CollectingDispatcher(), tracker, DOMAIN)
    slots = slots_of(events)
    assert slots["verified_orders"] == ["104532"] and slots["order_proof"] is None
    assert slots["requested_slot"] is None  # nothing left to ask: the form is done


# --------------------------------------------------------------------------- backend down or slow


async def test_backend_down_during_the_proof_gets_the_apology_with_the_phone_number(tracker_factory, orders) -> None:
    orders.down = True
    form_dispatcher = CollectingDispatcher()
    tracker = tracker_factory(slots={"order_number": "104532"})
    slots = await ValidateOrderAccessForm().validate_order_proof("62704", form_dispatcher, tracker, DOMAIN)
    assert slots == {"order_proof": None, "order_access_problem": BACKEND_DOWN}
    dispatcher = CollectingDispatcher()
    after = tracker_factory(slots={"order_number": "104532", **slots})
    events = await ActionHandleOrderRequest().run(dispatcher, after, DOMAIN)
    assert texts(dispatcher) == [shop_policies().message("backend_down")]
    assert slots_of(events) == {"order_access_problem": None, "awaiting_confirmation": None}


class SlowBackend:
    """An order backend that answers only after the client has given up."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.requests = 0

    async def handle(self, _request: web.Request) -> web.Response:
        self.requests += 1
        await asyncio.sleep(self.delay_s)
        return web.json_response({"verified": True})


@pytest.fixture
async def slow_orders(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlowBackend]:
    backend = SlowBackend(delay_s=2.0)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", backend.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = OrdersClient(f"http://127.0.0.1:{port}", "token", timeout_s=0.2)
    monkeypatch.setattr(order_form, "orders_client", lambda: client)
    yield backend
    await client.close()
    await runner.cleanup()


async def test_a_slow_backend_costs_the_shopper_about_the_timeout_and_gets_the_apology(
    tracker_factory, slow_orders
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(slots={"order_number": "104532"})
    started = asyncio.get_running_loop().time()
    slots = await ValidateOrderAccessForm().validate_order_proof("62704", dispatcher, tracker, DOMAIN)
    assert asyncio.get_running_loop().time() - started < 1.5
    assert slots["order_access_problem"] == BACKEND_DOWN and slow_orders.requests == 1  # a proof is never retried
    answer = CollectingDispatcher()
    await ActionHandleOrderRequest().run(answer, tracker_factory(slots=slots), DOMAIN)
    assert texts(answer) == [shop_policies().message("backend_down")]
