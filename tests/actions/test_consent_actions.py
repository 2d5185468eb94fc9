"""Consent to personalisation in the actions (actions/consent.py): where the flag is read from, and
that the recommendation and price answers pass it on, so the same customer gets a personal list and
price with it and the public ones without it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk.events import SlotSet

from actions import backend
from actions.consent import personal_customer_id, personalisation_allowed, remember_consent
from actions.products.price import ActionProductPrice
from actions.products.recommendations import ActionRecommendProducts
from service_clients.pricing import Quote
from service_clients.recommendations import RecommendedItem
from tests.actions.fake_catalogue import demo_catalogue
from tests.actions.test_product_questions import FakePricing, FakeRecommendations, run

KEY = "personalisation_consent"


def user(metadata: dict[str, Any]) -> dict[str, Any]:
    """A user event as Rasa sends it to the action server (metadata at the top level)."""
    return {"event": "user", "text": "hi", "metadata": metadata, "parse_data": {"intent": {"name": "greet"}}}


@pytest.fixture(autouse=True)
def no_shop_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERSONALISATION_CONSENT_DEFAULT", raising=False)


def test_the_newest_message_with_a_flag_decides(tracker_factory: Any) -> None:
    granted_then_withdrawn = [user({KEY: True}), user({KEY: False}), user({})]
    assert personalisation_allowed(tracker_factory(events=granted_then_withdrawn)) is False
    withdrawn_then_granted = [user({KEY: False}), user({KEY: "true"}), user({"language": "en"})]
    assert personalisation_allowed(tracker_factory(events=withdrawn_then_granted)) is True
    # A flag nobody can read is no answer: the earlier clear one stands.
    assert personalisation_allowed(tracker_factory(events=[user({KEY: True}), user({KEY: "maybe"})])) is True


def test_an_answer_does_not_reach_past_a_restart_or_a_new_session(tracker_factory: Any) -> None:
    for fresh in ({"event": "restart"}, {"event": "session_started"}):
        assert personalisation_allowed(tracker_factory(events=[user({KEY: True}), fresh, user({})])) is False
        assert remember_consent(tracker_factory(events=[user({KEY: True}), fresh, user({})])) == []


def test_without_a_flag_the_slot_then_the_shops_default(tracker_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert personalisation_allowed(tracker_factory(events=[user({})], slots={KEY: True})) is True
    assert personalisation_allowed(tracker_factory(events=[user({})], slots={KEY: False})) is False
    assert personalisation_allowed(tracker_factory(events=[user({})])) is False  # GDPR: no consent assumed
    monkeypatch.setenv("PERSONALISATION_CONSENT_DEFAULT", "granted")
    assert personalisation_allowed(tracker_factory(events=[user({})])) is True
    assert personalisation_allowed(tracker_factory(events=[user({KEY: False})])) is False  # an answer beats it


def test_the_answer_is_kept_in_the_slot_once(tracker_factory: Any) -> None:
    assert remember_consent(tracker_factory(events=[user({KEY: True})])) == [SlotSet(KEY, True)]
    assert remember_consent(tracker_factory(events=[user({KEY: True})], slots={KEY: True})) == []
    assert remember_consent(tracker_factory(events=[user({KEY: False})], slots={KEY: True})) == [SlotSet(KEY, False)]
    assert remember_consent(tracker_factory(events=[user({})])) == []


def test_consent_never_makes_an_anonymous_visitor_known(tracker_factory: Any, app_user: Any) -> None:
    assert personal_customer_id(tracker_factory(metadata={KEY: True, "customer_id": "C7"})) is None
    assert personal_customer_id(app_user(consent=True)) == "C7"
    assert personal_customer_id(app_user(consent=False)) is None
    assert personal_customer_id(app_user()) is None


def recommendation_request(app_user: Any, consent: bool | None) -> Any:
    tracker = app_user(consent=consent, text="what do you recommend?", intent="recommendation_request")
    tracker.slots.update({"knowledge_base_last_object": "aero-12", "knowledge_base_last_object_type": "product"})
    return tracker


@pytest.mark.parametrize(("consent", "customer"), [(True, "C7"), (False, None), (None, None)])
async def test_recommendations_are_personal_only_with_consent(
    monkeypatch: pytest.MonkeyPatch, app_user: Any, consent: bool | None, customer: str | None
) -> None:
    picks = [RecommendedItem("aero-12-clear-case", "Aero 12 Clear Case", 0.9, "goes with Aero 12")]
    fake = FakeRecommendations(picks)
    monkeypatch.setattr(backend, "recommendations_client", lambda: fake)
    text, slots = await run(ActionRecommendProducts(demo_catalogue()), recommendation_request(app_user, consent))
    assert fake.asked[0]["customer_id"] == customer and fake.asked[0]["consent"] is (consent is True)
    assert fake.asked[0]["product_id"] == "aero-12"  # without consent the product asked about still shapes it
    assert "1. Aero 12 Clear Case" in text  # helpful either way
    assert slots.get(KEY) == consent


@pytest.mark.parametrize("consent", [True, False, None])
async def test_prices_are_personal_only_with_consent(
    monkeypatch: pytest.MonkeyPatch, app_user: Any, consent: bool | None
) -> None:
    pricing = FakePricing(Quote(Decimal("49.00"), Decimal("49.00"), "USD", (), None))
    monkeypatch.setattr(backend, "pricing_client", lambda: pricing)
    tracker = app_user(consent=consent, text="how much is it", intent="price_question")
    tracker.slots.update(
        {"knowledge_base_last_object": "ocean-blue-shirt", "knowledge_base_last_object_type": "product"}
    )
    await run(ActionProductPrice(demo_catalogue()), tracker)
    # The customer id goes along for a personal coupon's terms; the backend personalises only with consent.
    assert pricing.asked[0]["customer_id"] == "C7" and pricing.asked[0]["consent"] is (consent is True)
