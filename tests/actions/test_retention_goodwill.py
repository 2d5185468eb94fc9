"""Churn risk in action_deescalate's goodwill offer and in the hand-off request (actions/retention.py):
a valuable customer at high risk gets a larger offer within the pricing budget, others the default,
and a retention backend that is down changes nothing but a log line."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import backend, handoff
from actions.handoff import ActionDeescalate, ActionHandoff, goodwill_offer, handoff_request
from actions.retention import goodwill_amount
from service_clients.handoff import DeskUnavailable
from service_clients.orders import BackendUnavailable
from service_clients.pricing import GoodwillBudget, GoodwillOffer
from service_clients.retention import CustomerRisk, RetentionUnavailable

BUDGET = GoodwillBudget(default_amount=Decimal("10.00"), per_customer_budget=Decimal("30.00"), enabled=True)


def risk(tier: str, value: str = "2000.00") -> CustomerRisk:
    return CustomerRisk("C7", 0.9 if tier == "high" else 0.1, tier, Decimal(value), ["support conversations (3)"])


class FakePricing:
    """Issues what is asked unless it is above `limit` (the per-customer budget left)."""

    def __init__(self, limit: Decimal = Decimal("30.00")) -> None:
        self.limit = limit
        self.asked: list[Decimal | None] = []

    async def goodwill_budget(self) -> GoodwillBudget:
        return BUDGET

    async def goodwill(self, customer_id: str, reason: str, order_number: Any = None, amount: Any = None) -> Any:
        self.asked.append(amount)
        value = BUDGET.default_amount if amount is None else amount
        if value > self.limit:
            return None
        return GoodwillOffer(code="G-1", amount=value, explanation=f"a coupon worth ${value}")


class FakeRetention:
    def __init__(self, score: CustomerRisk | None) -> None:
        self.score = score
        self.offers: list[tuple[str, str, Decimal]] = []
        self.events: list[tuple[str, str]] = []

    async def risk(self, customer_id: str) -> CustomerRisk | None:
        return self.score

    async def record_offer(self, customer_id: str, kind: str, cost: Decimal) -> None:
        self.offers.append((customer_id, kind, cost))

    async def record_event(self, customer_id: str, kind: str, at: Any) -> None:
        self.events.append((customer_id, kind))


@pytest.fixture
def pricing(monkeypatch: pytest.MonkeyPatch) -> FakePricing:
    fake = FakePricing()
    monkeypatch.setattr(backend, "pricing_client", lambda: fake)
    return fake


@pytest.fixture(autouse=True)
def orders_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ticket's customer look-up fails like a stopped orders backend (a logged, harmless miss)."""

    class Down:
        async def customer(self, customer_id: str) -> None:
            raise BackendUnavailable("not running in unit tests")

    monkeypatch.setattr(backend, "orders_client", lambda: Down())


def use_retention(monkeypatch: pytest.MonkeyPatch, fake: Any) -> None:
    monkeypatch.setattr(backend, "retention_client", lambda: fake)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (risk("high", "2000.00"), Decimal("20.00")),  # 1 % of the value at stake
        (risk("high", "9000.00"), Decimal("30.00")),  # at most the per-customer budget
        (risk("high", "300.00"), Decimal("10.00")),  # at least the default
        (risk("medium"), None),
        (risk("low"), None),
        (None, None),
    ],
)
def test_goodwill_amount(score: CustomerRisk | None, expected: Decimal | None) -> None:
    assert goodwill_amount(score, BUDGET) == expected


def test_no_budget_or_a_disabled_one_asks_for_nothing_special() -> None:
    assert goodwill_amount(risk("high"), None) is None
    off = GoodwillBudget(Decimal("10.00"), Decimal("30.00"), enabled=False)
    assert goodwill_amount(risk("high"), off) is None


async def test_high_risk_customer_gets_a_larger_offer_than_a_low_risk_one(
    monkeypatch: pytest.MonkeyPatch, app_user: Any, pricing: FakePricing
) -> None:
    high = FakeRetention(risk("high", "2500.00"))
    use_retention(monkeypatch, high)
    assert await goodwill_offer(app_user(consent=True, text="this is useless")) == "a coupon worth $25.00"
    assert high.offers == [("C7", "goodwill", Decimal("25.00"))]
    low = FakeRetention(risk("low"))
    use_retention(monkeypatch, low)
    assert await goodwill_offer(app_user(consent=True, text="this is useless")) == "a coupon worth $10.00"
    assert pricing.asked == [Decimal("25.00"), None]


async def test_a_larger_amount_the_budget_refuses_falls_back_to_the_default(
    monkeypatch: pytest.MonkeyPatch, app_user: Any, pricing: FakePricing
) -> None:
    pricing.limit = Decimal("15.00")
    use_retention(monkeypatch, FakeRetention(risk("high", "2500.00")))
    assert await goodwill_offer(app_user(consent=True, text="useless")) == "a coupon worth $10.00"
    assert pricing.asked == [Decimal("25.00"), None]


async def test_retention_down_means_todays_offer_and_a_log_line(
    app_user: Any, pricing: FakePricing, caplog: pytest.LogCaptureFixture
) -> None:
    # The autouse fixture in conftest.py makes the retention client fail like a stopped service.
    with caplog.at_level(logging.WARNING, logger="actions.retention"):
        dispatcher = CollectingDispatcher()
        await ActionDeescalate().run(dispatcher, app_user(consent=True, text="THIS IS USELESS"), {})
    assert "$10.00" in dispatcher.messages[0]["text"]
    assert pricing.asked == [None]
    assert any("retention backend unavailable" in r.getMessage() for r in caplog.records)


async def test_the_handoff_request_carries_the_tier(monkeypatch: pytest.MonkeyPatch, app_user: Any) -> None:
    use_retention(monkeypatch, FakeRetention(risk("high")))
    request = await handoff_request(app_user(consent=True, text="a person please"))
    assert request["customer"]["id"] == "C7" and request["customer"]["retention_tier"] == "high"


async def test_no_tier_for_anonymous_or_when_retention_is_down(
    monkeypatch: pytest.MonkeyPatch, app_user: Any, tracker_factory: Any
) -> None:
    assert (await handoff_request(app_user(consent=True, text="a person please")))["customer"]["retention_tier"] is None

    class Down:
        async def risk(self, customer_id: str) -> None:
            raise RetentionUnavailable("timed out")

    use_retention(monkeypatch, Down())
    assert (await handoff_request(tracker_factory("a person please")))["customer"]["retention_tier"] is None


async def test_deescalation_and_handoff_are_recorded_as_support_signals(
    monkeypatch: pytest.MonkeyPatch, app_user: Any, pricing: FakePricing, tracker_factory: Any
) -> None:
    fake = FakeRetention(risk("low"))
    use_retention(monkeypatch, fake)
    await ActionDeescalate().run(CollectingDispatcher(), app_user(consent=True, text="THIS IS USELESS"), {})
    monkeypatch.setattr(backend, "handoff_client", lambda: DeskDown())
    monkeypatch.setattr(backend, "handoff_outbox", lambda: Outbox())
    monkeypatch.setattr(handoff, "start_outbox_retries", lambda: None)  # no retry loop in a unit test
    await ActionHandoff().run(CollectingDispatcher(), app_user(consent=True, text="a person please"), {})
    await ActionHandoff().run(CollectingDispatcher(), tracker_factory("a person please"), {})  # anonymous: none
    assert fake.events == [("C7", "frustration"), ("C7", "handoff")]


async def test_without_consent_no_churn_profile_and_no_signals(
    monkeypatch: pytest.MonkeyPatch, app_user: Any, pricing: FakePricing
) -> None:
    """The same high-risk customer without consent (withdrawn, or never given under the default): the
    apology coupon of the default size, no risk asked, no signal recorded, no tier on the ticket."""
    asked: list[str] = []

    class Watching(FakeRetention):
        async def risk(self, customer_id: str) -> CustomerRisk | None:
            asked.append(customer_id)
            return self.score

    fake = Watching(risk("high", "2500.00"))
    use_retention(monkeypatch, fake)
    monkeypatch.delenv("PERSONALISATION_CONSENT_DEFAULT", raising=False)
    for consent in (False, None):
        assert await goodwill_offer(app_user(consent=consent, text="useless")) == "a coupon worth $10.00"
        await ActionDeescalate().run(CollectingDispatcher(), app_user(consent=consent, text="USELESS"), {})
        request = await handoff_request(app_user(consent=consent, text="a person please"))
        assert request["customer"]["id"] == "C7" and request["customer"]["retention_tier"] is None
    assert asked == [] and fake.events == [] and fake.offers == []
    assert pricing.asked == [None, None, None, None]


class DeskDown:
    async def create_handoff(self, request: Any) -> Any:
        raise DeskUnavailable("not running in unit tests")


class Outbox:
    def put(self, request: Any, rejected_because: Any = None) -> None:
        pass
