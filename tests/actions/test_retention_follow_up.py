"""The medium retention tier's follow-up (actions/retention_follow_up.py): who gets one personal
recommendation after a thank-you — the medium tier, with consent, outside forms and hand-offs — and
that the cap the retention backend keeps is respected; every backend down means silence and a log line."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import backend
from actions.retention_follow_up import ActionRetentionFollowUp, Moment, may_follow_up, pick
from service_clients.recommendations import RecommendationList, RecommendationsUnavailable, RecommendedItem
from service_clients.retention import CustomerRisk, RetentionUnavailable
from tests.actions.fake_orders import FakeOrders, make_order

FREE = Moment(consent=True, active_loop=None, handed_off=False)
SOCKS = RecommendedItem("trail-socks", "Trail Socks", 0.9, "bought together")
RUNNER = RecommendedItem("trail-runner", "Trail Runner", 0.95, "popular")


@pytest.mark.parametrize(
    ("tier", "moment", "expected"),
    [
        ("medium", FREE, True),
        ("high", FREE, False),  # the high tier gets the goodwill offer and a faster person instead
        ("low", FREE, False),
        (None, FREE, False),  # no score
        ("medium", Moment(consent=False, active_loop=None, handed_off=False), False),
        ("medium", Moment(consent=True, active_loop="order_form", handed_off=False), False),
        ("medium", Moment(consent=True, active_loop=None, handed_off=True), False),
        ("medium", Moment(consent=True, active_loop=None, handed_off=False, helped=False), False),  # nothing asked
    ],
)
def test_who_may_get_a_follow_up(tier: str | None, moment: Moment, expected: bool) -> None:
    assert may_follow_up(tier, moment) is expected


def test_the_pick_is_never_something_they_bought() -> None:
    assert pick([RUNNER, SOCKS], ["Trail Runner"]) == SOCKS
    assert pick([RUNNER], [" trail runner "]) is None


class FakeRetention:
    """Scores one customer; keeps the follow-up cap like the backend: one claim, then refused."""

    def __init__(self, tier: str) -> None:
        self.tier = tier
        self.asked: list[str] = []
        self.claims: list[str] = []

    async def risk(self, customer_id: str) -> CustomerRisk:
        self.asked.append(customer_id)
        return CustomerRisk(customer_id, 0.4, self.tier, Decimal("150.00"), [])

    async def claim_follow_up(self, customer_id: str) -> bool:
        self.claims.append(customer_id)
        return len(self.claims) == 1


class FakeRecommendations:
    def __init__(self) -> None:
        self.asked: list[tuple[str | None, bool]] = []

    async def recommend(self, customer_id: str | None, **kwargs: Any) -> RecommendationList:
        self.asked.append((customer_id, kwargs.get("consent", False)))
        return RecommendationList([RUNNER, SOCKS], False, "a", True)


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeRetention, FakeRecommendations]:
    retention, recommendations = FakeRetention("medium"), FakeRecommendations()
    orders = FakeOrders(make_order(customer_id="C7"))

    async def list_customer_orders(customer_id: str, limit: int = 5) -> list[Any]:
        return [o for o in orders.orders.values() if o.customer_id == customer_id]

    orders.list_customer_orders = list_customer_orders  # type: ignore[method-assign]
    monkeypatch.setattr(backend, "orders_client", lambda: orders)
    monkeypatch.setattr(backend, "retention_client", lambda: retention)
    monkeypatch.setattr(backend, "recommendations_client", lambda: recommendations)
    return retention, recommendations


def asked(intent: str = "product_price", text: str = "how much are the trail runners?") -> dict[str, Any]:
    """A request earlier in the session, so the thank-you ends one."""
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def after_request(tracker: Any) -> Any:
    """The tracker with a request earlier in the session, so its thank-you ends one."""
    tracker.events.insert(0, asked())
    return tracker


async def follow_up(tracker: Any) -> list[str]:
    dispatcher = CollectingDispatcher()
    assert await ActionRetentionFollowUp().run(dispatcher, tracker, {}) == []
    return [m["text"] for m in dispatcher.messages]


async def test_a_medium_risk_customer_gets_one_recommendation_once(app_user: Any, shop: Any) -> None:
    retention, recommendations = shop
    said = await follow_up(after_request(app_user(consent=True, text="thanks", intent="thank")))
    assert said == ["Since you bought the Trail Runner: the Trail Socks goes well with it. Ask me about it any time."]
    assert recommendations.asked == [("C7", True)] and retention.claims == ["C7"]
    assert await follow_up(after_request(app_user(consent=True, text="thanks again", intent="thank"))) == []  # capped
    assert retention.claims == ["C7", "C7"]


async def test_low_and_high_risk_customers_get_none(app_user: Any, shop: Any) -> None:
    retention, recommendations = shop
    for tier in ("low", "high"):
        retention.tier = tier
        assert await follow_up(after_request(app_user(consent=True, text="thanks", intent="thank"))) == []
    assert retention.claims == [] and recommendations.asked == []


async def test_without_consent_no_risk_is_even_asked(app_user: Any, shop: Any) -> None:
    retention, recommendations = shop
    for consent in (False, None):  # refused, or never said (the shop's default is no)
        assert await follow_up(after_request(app_user(consent=consent, text="thanks", intent="thank"))) == []
    assert retention.asked == [] and retention.claims == [] and recommendations.asked == []


async def test_never_in_a_form_or_after_a_hand_off(app_user: Any, shop: Any) -> None:
    retention, _ = shop
    in_form = after_request(app_user(consent=True, text="thanks", intent="thank"))
    in_form.active_loop = {"name": "order_form"}
    assert await follow_up(in_form) == []
    user = {"event": "user", "text": "thanks", "metadata": {"customer_id": "C7", "personalisation_consent": True}}
    handed = app_user(
        consent=True,
        text="thanks",
        intent="thank",
        events=[asked(), {"event": "action", "name": "action_handoff"}, user],
    )
    assert await follow_up(handed) == []
    assert retention.asked == []


async def test_an_anonymous_visitor_with_a_verified_order_counts_as_identified(tracker_factory: Any, shop: Any) -> None:
    retention, _ = shop
    consented = {"personalisation_consent": True}
    visitor = tracker_factory(text="thanks", intent="thank", slots={"verified_orders": ["104532"]}, metadata=consented)
    assert await follow_up(visitor) == []  # a session with no request yet: nothing finished
    assert retention.asked == []
    assert len(await follow_up(after_request(visitor))) == 1
    assert retention.asked == ["C7"]
    stranger = tracker_factory(text="thanks", intent="thank", metadata=consented)
    assert await follow_up(after_request(stranger)) == []
    assert retention.asked == ["C7"]


async def test_backends_down_mean_no_follow_up_and_a_log_line(
    app_user: Any, shop: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Down:
        async def recommend(self, *args: Any, **kwargs: Any) -> None:
            raise RecommendationsUnavailable("connection refused")

        async def claim_follow_up(self, *args: Any) -> None:
            raise RetentionUnavailable("timeout")

    retention, _ = shop
    monkeypatch.setattr(backend, "recommendations_client", lambda: Down())
    with caplog.at_level(logging.WARNING):
        assert await follow_up(after_request(app_user(consent=True, text="thanks", intent="thank"))) == []
    assert "recommendations unavailable" in caplog.text and retention.claims == []
    monkeypatch.setattr(backend, "recommendations_client", lambda: FakeRecommendations())
    monkeypatch.setattr(retention, "claim_follow_up", Down().claim_follow_up)
    with caplog.at_level(logging.WARNING):
        assert await follow_up(after_request(app_user(consent=True, text="thanks", intent="thank"))) == []
    assert "cap unknown" in caplog.text
