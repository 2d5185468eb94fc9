"""action_cart_reminder (actions/cart_reminder.py): one helpful sentence about an abandoned cart, or
nothing where it does not belong; a coupon first, alternatives when pricing says no or is down."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend
from actions.cart_reminder import TRIGGERED_TEXT, ActionCartReminder
from service_clients.catalogue import CatalogueUnavailable
from service_clients.pricing import GoodwillOffer
from service_clients.recommendations import RecommendationList, RecommendedItem
from tests.actions.conftest import _Down, make_tracker

ENTITIES = [{"entity": "cart_product", "value": "aero-12"}, {"entity": "cart_shopper", "value": "C9"}]


class FakePricing:
    def __init__(self, offer: GoodwillOffer | None) -> None:
        self.offer = offer
        self.asked: list[tuple[str, str]] = []

    async def goodwill(self, customer_id: str, reason: str, *args: Any, **kwargs: Any) -> GoodwillOffer | None:
        self.asked.append((customer_id, reason))
        return self.offer


class FakeRecommendations:
    async def recommend(self, customer_id: Any, **kwargs: Any) -> RecommendationList:
        items = [RecommendedItem("aero-12", "Aero 12", 1.0, ""), RecommendedItem("kestrel-k5", "Kestrel K5", 0.9, "")]
        return RecommendationList(items, capped=False, variant="a")


def triggered(consent: bool | None = True, text: str = TRIGGERED_TEXT, **overrides: Any) -> Tracker:
    said = {} if consent is None else {"personalisation_consent": consent}
    hello = {"event": "user", "text": "hello", "input_channel": "socketio", "metadata": said}
    trigger = {"event": "user", "text": text, "input_channel": "socketio", "metadata": {"is_external": True}}
    tracker = make_tracker(text=text, intent="EXTERNAL_cart_abandoned", entities=ENTITIES, events=[hello, trigger])
    for name, value in overrides.items():
        setattr(tracker, name, value)
    return tracker


async def run(tracker: Tracker) -> list[str]:
    dispatcher = CollectingDispatcher()
    assert await ActionCartReminder().run(dispatcher, tracker, {}) == []
    return [message["text"] for message in dispatcher.messages]


@pytest.fixture(autouse=True)
def no_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "catalogue_client", lambda: _Down(CatalogueUnavailable))


async def test_a_coupon_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    pricing = FakePricing(GoodwillOffer("GW-1", Decimal("10.00"), "a one-time coupon GW-1 worth $10.00"))
    monkeypatch.setattr(backend, "pricing_client", lambda: pricing)
    [said] = await run(triggered())
    assert "still in your cart" in said and "a one-time coupon GW-1 worth $10.00" in said
    assert pricing.asked == [("C9", "abandoned_cart")]


async def test_budget_spent_gives_alternatives_without_the_product_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "pricing_client", lambda: FakePricing(None))
    monkeypatch.setattr(backend, "recommendations_client", FakeRecommendations)
    [said] = await run(triggered())
    assert "Kestrel K5" in said and "Aero 12" not in said and "GW-" not in said


async def test_every_backend_down_still_a_plain_note_and_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="actions.cart_reminder"):
        [said] = await run(triggered())
    assert said == "I noticed the item is still in your cart. If you have any questions about it, just ask."
    assert "pricing backend unavailable" in caplog.text and "recommendations backend unavailable" in caplog.text


@pytest.mark.parametrize(
    ("tracker", "why"),
    [
        (triggered(consent=False), "no_consent"),
        (triggered(consent=None), "no_consent"),  # the shop's default: no consent
        (triggered(text="/EXTERNAL_cart_abandoned"), "not_triggered"),  # typed by a shopper
        (triggered(_paused=True), "handoff"),
        (triggered(active_loop={"name": "address_form"}), "form"),
    ],
)
async def test_nothing_said_where_it_does_not_belong(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tracker: Tracker, why: str
) -> None:
    pricing = FakePricing(GoodwillOffer("GW-1", Decimal("10.00"), "a coupon"))
    monkeypatch.setattr(backend, "pricing_client", lambda: pricing)
    monkeypatch.delenv("PERSONALISATION_CONSENT_DEFAULT", raising=False)
    with caplog.at_level(logging.INFO, logger="actions.cart_reminder"):
        assert await run(tracker) == []
    assert f"cart reminder skipped in unit-test: {why}" in caplog.text
    assert pricing.asked == [], "no coupon is issued for a note that is not said"
