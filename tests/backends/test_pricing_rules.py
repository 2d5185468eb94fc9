"""The pricing decision (backends/pricing/rules.py) as pure functions: every rule and guardrail."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest

from backends.pricing import rules
from backends.pricing.rules import CouponSpec, LastShelfPrice, Limits, QuoteRequest, RuleSet, SaleRule, StockRuleSpec

NOW = datetime(2025, 8, 10, 12, 0)
SUMMER = SaleRule(
    "Summer sale", "percent", D(15), "category", "apparel/clothing", NOW - timedelta(days=10), datetime(2025, 8, 31, 23)
)
SHIRT = QuoteRequest(base_price=D("40.00"), sku="SH-1-M", product_id="shirt-1", category="apparel/clothing/shirts")


def coupon(**overrides: object) -> CouponSpec:
    fields: dict = {
        "code": "WELCOME10",
        "kind": "percent",
        "value": D(10),
        "valid_from": NOW - timedelta(days=1),
        "valid_to": NOW + timedelta(days=30),
    }
    return CouponSpec(**{**fields, **overrides})


def explanations(decision: rules.Decision) -> list[str]:
    return [a.explanation for a in decision.adjustments]


def with_(request: QuoteRequest, **changes: object) -> QuoteRequest:
    return QuoteRequest(**{**request.__dict__, **changes})


def test_no_rules_means_the_base_price() -> None:
    decision = rules.decide(SHIRT, RuleSet(), NOW)
    assert decision.unit_price == D("40.00") and decision.adjustments == [] and decision.guardrail is None


def test_category_sale_covers_subcategories_and_explains_itself() -> None:
    decision = rules.decide(SHIRT, RuleSet(sales=[SUMMER]), NOW)
    assert decision.unit_price == D("34.00")
    assert explanations(decision) == ["Summer sale: 15% off until 31 Aug"]
    assert decision.adjustments[0].amount == D("-6.00") and decision.adjustments[0].kind == "sale"


@pytest.mark.parametrize(
    ("request_", "applies"),
    [
        (SHIRT, True),
        (with_(SHIRT, category="apparel/clothing"), True),
        (with_(SHIRT, category="apparel/clothing-accessories"), False),
        (with_(SHIRT, category=None), False),
    ],
)
def test_category_scope_is_a_path_prefix(request_: QuoteRequest, applies: bool) -> None:
    assert rules.sale_applies(SUMMER, request_, NOW) is applies


def test_sale_only_within_its_dates() -> None:
    assert not rules.sale_applies(SUMMER, SHIRT, SUMMER.starts_at - timedelta(seconds=1))
    assert rules.sale_applies(SUMMER, SHIRT, SUMMER.starts_at)
    assert not rules.sale_applies(SUMMER, SHIRT, SUMMER.ends_at)


def test_product_and_all_scopes() -> None:
    by_product = SaleRule("Deal", "amount", D(5), "product", "shirt-1", NOW - timedelta(1), NOW + timedelta(1))
    by_sku = SaleRule("Deal", "amount", D(5), "product", "SH-1-M", NOW - timedelta(1), NOW + timedelta(1))
    other = SaleRule("Deal", "amount", D(5), "product", "shirt-2", NOW - timedelta(1), NOW + timedelta(1))
    everything = SaleRule("All", "percent", D(5), "all", None, NOW - timedelta(1), NOW + timedelta(1))
    assert rules.sale_applies(by_product, SHIRT, NOW) and rules.sale_applies(by_sku, SHIRT, NOW)
    assert not rules.sale_applies(other, SHIRT, NOW) and rules.sale_applies(everything, SHIRT, NOW)
    decision = rules.decide(SHIRT, RuleSet(sales=[by_product]), NOW)
    assert decision.unit_price == D("35.00") and explanations(decision) == ["Deal: $5.00 off until 11 Aug"]


def test_sales_do_not_stack_the_best_one_wins() -> None:
    small = SaleRule("Small", "percent", D(5), "all", None, NOW - timedelta(1), NOW + timedelta(1))
    big = SaleRule("Big", "amount", D(10), "all", None, NOW - timedelta(1), NOW + timedelta(1))
    decision = rules.decide(SHIRT, RuleSet(sales=[small, SUMMER, big]), NOW)
    assert decision.unit_price == D("30.00") and [a.kind for a in decision.adjustments] == ["sale"]


def test_low_stock_withholds_sale_and_tier_but_not_coupons() -> None:
    low = StockRuleSpec("Low stock", None, 3, "no_discount")
    ruleset = RuleSet(sales=[SUMMER], stock_rules=[low], tier_percents={"vip": D(10)})
    request = with_(SHIRT, stock=2, tier="vip", customer_id="C1")
    decision = rules.decide(request, ruleset, NOW, coupon=coupon(), coupon_code="WELCOME10")
    assert explanations(decision) == ["Low stock (2 left): no automatic discounts", "coupon WELCOME10: 10% off"]
    assert decision.unit_price == D("36.00")
    assert decision.notes == [
        "Summer sale not applied because stock is low",
        "VIP discount not applied because stock is low",
    ]


def test_high_stock_gives_percent_off_after_the_sale() -> None:
    high = StockRuleSpec("Plenty in stock", 40, None, "percent_off", D(5))
    decision = rules.decide(with_(SHIRT, stock=50), RuleSet(sales=[SUMMER], stock_rules=[high]), NOW)
    assert explanations(decision) == ["Summer sale: 15% off until 31 Aug", "Plenty in stock (50 in stock): 5% off"]
    assert decision.unit_price == D("32.30") and decision.shelf_price == D("32.30")


def test_stock_rules_need_a_stock_level_and_match_ranges() -> None:
    low = StockRuleSpec("Low", None, 3, "no_discount")
    high = StockRuleSpec("High", 40, None, "percent_off", D(5))
    assert rules.matching_stock_rule([low, high], None) is None
    assert rules.matching_stock_rule([high, low], 3) == low
    assert rules.matching_stock_rule([low, high], 10) is None
    assert rules.matching_stock_rule([low, high], 40) == high


@pytest.mark.parametrize(
    ("tier", "expected", "explanation"),
    [("vip", "36.00", "10% VIP discount applied"), ("regular", "38.00", "5% regular-customer discount applied")],
)
def test_tier_discount(tier: str, expected: str, explanation: str) -> None:
    ruleset = RuleSet(tier_percents={"new": D(0), "regular": D(5), "vip": D(10)})
    decision = rules.decide(with_(SHIRT, tier=tier), ruleset, NOW)
    assert decision.unit_price == D(expected) and explanations(decision) == [explanation]
    assert decision.shelf_price == D("40.00"), "tier discounts are personal, not part of the shelf price"
    assert rules.decide(with_(SHIRT, tier="new"), ruleset, NOW).adjustments == []


def test_everything_in_order() -> None:
    ruleset = RuleSet(sales=[SUMMER], tier_percents={"vip": D(10)})
    request = with_(SHIRT, tier="vip", customer_id="C1")
    decision = rules.decide(request, ruleset, NOW, coupon=coupon(), coupon_code="WELCOME10")
    assert explanations(decision) == [
        "Summer sale: 15% off until 31 Aug",
        "10% VIP discount applied",
        "coupon WELCOME10: 10% off",
    ]
    assert [a.price_after for a in decision.adjustments] == [D("34.00"), D("30.60"), D("27.54")]
    assert decision.unit_price == D("27.54") and decision.coupon_applied


def test_amount_coupon_is_for_the_order_and_spread_over_units() -> None:
    save5 = coupon(code="SAVE5", kind="amount", value=D(5))
    decision = rules.decide(with_(SHIRT, quantity=2), RuleSet(), NOW, coupon=save5, coupon_code="SAVE5")
    assert decision.unit_price == D("37.50") and explanations(decision) == ["coupon SAVE5: $5.00 off"]


@pytest.mark.parametrize(
    ("spec", "customer", "uses", "reason"),
    [
        (coupon(valid_to=NOW - timedelta(days=1)), "C1", 0, "coupon WELCOME10 expired on 09 Aug 2025"),
        (coupon(valid_from=NOW + timedelta(days=1)), "C1", 0, "coupon WELCOME10 is not valid until 11 Aug 2025"),
        (coupon(max_uses=5, uses=5), "C1", 0, "coupon WELCOME10 has been used up"),
        (coupon(max_uses_per_customer=1), "C1", 1, "can be used once per customer"),
        (coupon(min_order_value=D(50)), "C1", 0, "needs an order of at least $50.00"),
        (coupon(customer_id="C2"), "C1", 0, "is personal to another customer"),
    ],
)
def test_coupon_refusals_say_why(spec: CouponSpec, customer: str, uses: int, reason: str) -> None:
    problem = rules.coupon_problem(spec, customer, D(40), NOW, uses)
    assert problem is not None and reason in problem
    request = with_(SHIRT, customer_id=customer)
    decision = rules.decide(request, RuleSet(), NOW, coupon=spec, coupon_code=spec.code, coupon_customer_uses=uses)
    assert decision.unit_price == D("40.00") and not decision.coupon_applied
    assert reason in decision.notes[0] and decision.notes[0].endswith("so it was not applied")


def test_unknown_coupon_is_a_note() -> None:
    decision = rules.decide(SHIRT, RuleSet(), NOW, coupon_code="NOPE")
    assert decision.notes == ["coupon NOPE does not exist"] and decision.unit_price == D("40.00")


def test_min_order_value_counts_the_quantity() -> None:
    spec = coupon(min_order_value=D(50))
    decision = rules.decide(with_(SHIRT, quantity=2), RuleSet(), NOW, coupon=spec, coupon_code=spec.code)
    assert decision.coupon_applied


def test_floor_price_binds_and_says_so() -> None:
    ruleset = RuleSet(sales=[SUMMER], tier_percents={"vip": D(50)}, limits=Limits(floor_price=D(20)))
    decision = rules.decide(with_(SHIRT, tier="vip"), ruleset, NOW)
    assert decision.unit_price == D("20.00")
    assert decision.guardrail == "held at the floor price of $20.00"
    assert decision.adjustments[-1].kind == "guardrail" and decision.adjustments[-1].amount == D("3.00")


def test_ceiling_price_binds() -> None:
    decision = rules.decide(SHIRT, RuleSet(limits=Limits(ceiling_price=D("35.00"))), NOW)
    assert decision.unit_price == D("35.00") and decision.guardrail == "held at the ceiling price of $35.00"


def test_max_daily_change_vs_the_last_quoted_price() -> None:
    limits = Limits(max_daily_change_percent=D(10))
    last = LastShelfPrice(D("50.00"), NOW - timedelta(days=3))
    decision = rules.decide(SHIRT, RuleSet(limits=limits), NOW, last_shelf=last)
    assert decision.unit_price == D("45.00") and decision.shelf_price == D("45.00")
    assert decision.guardrail == "held at $45.00: prices move at most 10% a day from $50.00"
    up = rules.decide(with_(SHIRT, base_price=D(60)), RuleSet(limits=limits), NOW, last_shelf=last)
    assert up.unit_price == D("55.00")
    within = rules.decide(with_(SHIRT, base_price=D(46)), RuleSet(limits=limits), NOW, last_shelf=last)
    assert within.unit_price == D("46.00") and within.guardrail is None


def test_daily_change_is_measured_from_the_price_the_day_opened_with() -> None:
    limits = Limits(max_daily_change_percent=D(10))
    last = LastShelfPrice(D("45.00"), NOW - timedelta(hours=3), day_price=D("50.00"))
    decision = rules.decide(SHIRT, RuleSet(limits=limits), NOW, last_shelf=last)
    assert decision.unit_price == D("45.00")
    assert decision.guardrail == "held at $45.00: prices move at most 10% a day from $50.00"


def test_min_interval_between_changes_holds_the_current_price() -> None:
    limits = Limits(min_change_interval_minutes=1440)
    recent = LastShelfPrice(D("50.00"), NOW - timedelta(hours=2))
    decision = rules.decide(SHIRT, RuleSet(limits=limits), NOW, last_shelf=recent)
    assert decision.unit_price == D("50.00")
    assert decision.guardrail == "held at the current price of $50.00: prices change at most every 24 h"
    old = LastShelfPrice(D("50.00"), NOW - timedelta(hours=25))
    assert rules.decide(SHIRT, RuleSet(limits=limits), NOW, last_shelf=old).unit_price == D("40.00")
    same = LastShelfPrice(D("40.00"), NOW - timedelta(minutes=1))
    assert rules.decide(SHIRT, RuleSet(limits=limits), NOW, last_shelf=same).guardrail is None


def test_change_guardrails_watch_the_shelf_price_not_personal_discounts() -> None:
    limits = Limits(max_daily_change_percent=D(10))
    last = LastShelfPrice(D("40.00"), NOW - timedelta(days=1))
    ruleset = RuleSet(tier_percents={"vip": D(20)}, limits=limits)
    decision = rules.decide(with_(SHIRT, tier="vip"), ruleset, NOW, last_shelf=last)
    assert decision.unit_price == D("32.00") and decision.guardrail is None


def test_money_formats() -> None:
    assert rules.fmt_money(D("20"), "USD") == "$20.00"
    assert rules.fmt_money(D("20"), "EUR") == "€20.00"
    assert rules.fmt_money(D("20"), "CHF") == "20.00 CHF"
    assert rules.fmt_percent(D("12.50")) == "12.5%"
    assert rules.discounted(D("3.00"), "amount", D(5)) == D("0.00")
