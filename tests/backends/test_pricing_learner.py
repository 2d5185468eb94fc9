"""The price learner's pure parts: Thompson sampling stays inside every bound (property-based),
posteriors move with outcomes, priors follow the elasticity, segments use allow-listed features only."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backends.pricing import rules
from backends.pricing.learning import bandit, segments
from backends.pricing.learning.bandit import Arm, Bounds, CurrentOffer, OfferPicker
from backends.pricing.learning.settings import LearnerSettings
from settings_kit.settings import InvalidSetting

NOW = datetime(2025, 8, 10, 12, 0)
LEVELS = [D(0), D(5), D(10), D(15), D(20), D(30)]
BOUNDS = Bounds(
    max_discount_percent=D(20),
    min_margin_percent=D(10),
    unit_cost_ratio=D("0.6"),
    max_step_percent=D(5),
    min_move_interval=timedelta(minutes=60),
)


def choose(arms: list[Arm], current: CurrentOffer = CurrentOffer(), bounds: Bounds = BOUNDS) -> bandit.Offer:
    """A $40.00 product without a tier discount, seeded draws."""
    return bandit.choose(
        arms,
        price_before=D("40.00"),
        base_price=D("40.00"),
        current=current,
        bounds=bounds,
        now=NOW,
        rng=random.Random(1),
    )


money = st.decimals(min_value=D("1.00"), max_value=D("500.00"), places=2)
posterior = st.tuples(st.floats(0.5, 200), st.floats(0.5, 200))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    posteriors=st.lists(posterior, min_size=len(LEVELS), max_size=len(LEVELS)),
    base=money,
    tier_cut=st.sampled_from([D(0), D(5), D(10)]),
    floor_share=st.one_of(st.none(), st.decimals(min_value=D("0.3"), max_value=D("1.1"), places=2)),
    current=st.sampled_from([D(0), D(5), D(10), D(15), D(20), D(30), D(7)]),
    moved_minutes_ago=st.one_of(st.none(), st.integers(0, 300)),
    max_discount=st.sampled_from([D(0), D(10), D(20), D(25)]),
    min_margin=st.sampled_from([D(0), D(10), D(25), D(40)]),
    step=st.sampled_from([D(1), D(5), D(10)]),
    seed=st.integers(0, 2**32 - 1),
)
def test_no_sampled_offer_breaks_a_guardrail_or_a_move_limit(
    posteriors, base, tier_cut, floor_share, current, moved_minutes_ago, max_discount, min_margin, step, seed
) -> None:
    arms = [Arm(level, a, b) for level, (a, b) in zip(LEVELS, posteriors, strict=True)]
    floor = None if floor_share is None else rules.cents(base * floor_share)
    bounds = Bounds(max_discount, min_margin, D("0.6"), step, timedelta(minutes=60), floor)
    before = rules.cents(base * (100 - tier_cut) / 100)
    changed = None if moved_minutes_ago is None else NOW - timedelta(minutes=moved_minutes_ago)
    now_offer = CurrentOffer(current, changed)
    offer = bandit.choose(
        arms,
        price_before=before,
        base_price=base,
        current=now_offer,
        bounds=bounds,
        now=NOW,
        rng=random.Random(seed),
    )
    assert offer.price == rules.cents(before * (100 - offer.discount) / 100) <= before
    if offer.discount > 0:  # a learned discount: every price bound holds, checked here from scratch
        assert offer.discount <= max_discount
        assert floor is None or offer.price >= floor
        assert offer.price - base * D("0.6") >= offer.price * min_margin / 100
    current_allowed = current in LEVELS and (
        current == 0
        or (
            current <= max_discount
            and (floor is None or rules.cents(before * (100 - current) / 100) >= floor)
            and rules.cents(before * (100 - current) / 100) * (1 - min_margin / 100) >= base * D("0.6")
        )
    )
    if current_allowed and offer.discount != current:  # a move: only when due, and one step at most
        assert changed is None or NOW - changed >= timedelta(minutes=60)
        assert abs(offer.discount - current) <= step
    if not current_allowed and offer.discount != current:  # the current offer broke a bound: back to none
        assert offer.discount in LEVELS


def test_the_best_sampled_arm_wins_when_nothing_bounds_it() -> None:
    arms = [Arm(D(0), 1, 99), Arm(D(5), 60, 40), Arm(D(10), 1, 99)]
    offer = choose(arms)
    assert offer.discount == D(5) and offer.price == D("38.00") and offer.clipped is None
    assert "5% off" in offer.explanation and "Thompson sampling" in offer.explanation


def test_a_clipped_arm_is_named_with_the_bound_that_stopped_it() -> None:
    arms = [Arm(D(0), 1, 99), Arm(D(5), 10, 90), Arm(D(30), 95, 5)]  # 30% would sell, but breaks the max
    offer = choose(arms)
    assert offer.discount == D(5)
    assert offer.clipped == "30% sampled best but is above the largest learned discount of 20%"
    excluded = {v.discount: v.excluded for v in offer.arms}
    assert excluded[D(30)] == "above the largest learned discount of 20%" and excluded[D(5)] is None


def test_floor_and_margin_exclude_deep_discounts() -> None:
    arms = [Arm(D(0), 1, 99), Arm(D(15), 95, 5), Arm(D(20), 99, 1)]
    floored = choose(arms, bounds=Bounds(D(20), D(0), D("0.6"), D(20), timedelta(0), floor_price=D("35.00")))
    assert floored.discount == 0 and "below the floor price of $35.00" in (floored.clipped or "")
    thin = choose(arms, bounds=Bounds(D(20), D(30), D("0.6"), D(20), timedelta(0)))
    # 15% off 40.00 = 34.00, cost 24.00: margin 29% < 30%
    assert thin.discount == 0 and "under the minimum margin of 30%" in (thin.clipped or "")


def test_the_offer_holds_until_the_move_interval_has_passed_then_steps() -> None:
    arms = [Arm(D(0), 1, 99), Arm(D(5), 2, 98), Arm(D(10), 95, 5)]
    recent = CurrentOffer(D(0), NOW - timedelta(minutes=30))
    held = choose(arms, current=recent)
    assert held.discount == 0 and "the offer last moved less than 1 h ago" in (held.clipped or "")
    due = choose(arms, current=CurrentOffer(D(0), NOW - timedelta(minutes=61)))
    assert due.discount == D(5)  # 10% sells best but is two steps away
    assert "more than 5% points from the current 0%" in (due.clipped or "")


def test_a_current_offer_that_now_breaks_the_floor_falls_back_to_none() -> None:
    arms = [Arm(D(0), 1, 99), Arm(D(20), 50, 50)]
    bounds = Bounds(D(20), D(0), D("0.6"), D(5), timedelta(minutes=60), floor_price=D("39.00"))
    offer = choose(arms, current=CurrentOffer(D(20), NOW - timedelta(minutes=1)), bounds=bounds)
    assert offer.discount == 0 and offer.moved and offer.clipped is not None


def test_posterior_update_counts_one_outcome() -> None:
    arm = Arm(D(5), 2.0, 18.0, offers=3)
    bought, not_bought = arm.updated(True), arm.updated(False)
    assert (bought.alpha, bought.beta, bought.purchases) == (3.0, 18.0, 1)
    assert (not_bought.alpha, not_bought.beta, not_bought.purchases) == (2.0, 19.0, 0)
    assert bought.mean > arm.mean > not_bought.mean


def test_priors_follow_the_elasticity() -> None:
    elastic = bandit.prior_arms([D(0), D(10), D(20)], -3.0, 0.1, 20)
    assert elastic[0].mean == pytest.approx(0.1) and elastic[0].alpha + elastic[0].beta == pytest.approx(20)
    assert elastic[2].mean == pytest.approx(0.1 * 0.8**-3.0)
    assert [a.mean for a in elastic] == sorted(a.mean for a in elastic)  # deeper discounts sell more
    inelastic = bandit.prior_arms([D(20)], -0.5, 0.1, 20)
    assert inelastic[0].mean < elastic[2].mean


def test_the_picker_adds_no_adjustment_for_no_discount_and_explains_a_discount() -> None:
    def picker(arms: list[Arm]) -> OfferPicker:
        return OfferPicker(
            arms,
            base_price=D("40.00"),
            current=CurrentOffer(),
            bounds=BOUNDS,
            now=NOW,
            rng=random.Random(3),
            currency="USD",
            label="VIP customers",
        )

    none = picker([Arm(D(0), 90, 10), Arm(D(5), 1, 99)])
    decision = rules.decide(rules.QuoteRequest(D("40.00"), sku="S"), rules.RuleSet(), NOW, learned_offer=none)
    assert decision.adjustments == [] and none.offer is not None and none.offer.discount == 0
    five = picker([Arm(D(0), 1, 99), Arm(D(5), 90, 10)])
    decision = rules.decide(rules.QuoteRequest(D("40.00"), sku="S"), rules.RuleSet(), NOW, learned_offer=five)
    assert [(a.kind, a.price_after, a.explanation) for a in decision.adjustments] == [
        ("learned", D("38.00"), "Learned offer for VIP customers: 5% off")
    ]


def test_low_stock_withholds_the_learned_offer() -> None:
    called: list[D] = []
    low = rules.StockRuleSpec("Low stock", None, 3, "no_discount")
    decision = rules.decide(
        rules.QuoteRequest(D("40.00"), sku="S", stock=2),
        rules.RuleSet(stock_rules=[low]),
        NOW,
        learned_offer=lambda price: called.append(price) or None,
    )
    assert called == [] and "learned offer not applied because stock is low" in decision.notes


def test_segments_come_from_the_allow_list_only() -> None:
    assert set(segments.SEGMENT_FEATURES) <= {"tier"}
    assert not set(segments.SEGMENT_FEATURES) & segments.PROTECTED_ATTRIBUTES
    assert segments.segment_of({"tier": "vip"}) == "vip"
    assert segments.segment_of({"tier": None}) == segments.ANONYMOUS
    for protected in sorted(segments.PROTECTED_ATTRIBUTES):
        with pytest.raises(ValueError, match=protected):
            segments.segment_of({"tier": "vip", protected: "x"})


def test_product_group_is_the_top_of_the_category_path() -> None:
    assert segments.product_group("apparel/clothing/outerwear/coats", "p1", "S1", 2) == "apparel/clothing"
    assert segments.product_group(None, "p1", "S1", 2) == "p1"
    assert segments.product_group(None, None, "S1", 2) == "S1"


def test_settings_are_off_by_default_and_checked() -> None:
    assert LearnerSettings.from_env({}).enabled is False
    on = LearnerSettings.from_env(
        {
            "PRICING_LEARNER_ENABLED": "true",
            "PRICING_LEARNER_ARMS": "[10, 5]",
            "PRICING_LEARNER_MOVE_INTERVAL_MIN": "15",
        }
    )
    assert on.enabled and on.arms == (D(0), D(5), D(10)) and on.min_move_interval == timedelta(minutes=15)
    with pytest.raises(InvalidSetting, match="PRICING_LEARNER_MAX_DISCOUNT"):
        LearnerSettings.from_env({"PRICING_LEARNER_MAX_DISCOUNT": "150"})
    with pytest.raises(InvalidSetting, match="PRICING_LEARNER_ARMS"):
        LearnerSettings.from_env({"PRICING_LEARNER_ARMS": "[5, 100]"})
