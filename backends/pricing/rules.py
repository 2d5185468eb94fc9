"""The pricing decision as pure functions: no database, no HTTP, no clock of its own.

Order of steps (each one explained in the quote):
  base price → best matching sale → stock rule → change guardrails on that *shelf* price
  → customer-tier discount → learned offer (when the price learner is on) → coupon
  → floor/ceiling on the final unit price.
The change guardrails (max change per day, min interval between changes) watch the public shelf
price, not personal prices, so one VIP's discount never drags the next shopper's price along.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TIERS = ("new", "regular", "vip")
TIER_LABELS = {"new": "new-customer", "regular": "regular-customer", "vip": "VIP"}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_money(value: Decimal, currency: str) -> str:
    """$20.00 for currencies with a well-known symbol, else 20.00 CHF."""
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{cents(value):.2f}" if symbol else f"{cents(value):.2f} {currency}"


def fmt_percent(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}%"


def fmt_day(value: datetime) -> str:
    return f"{value.day} {value:%b}"


@dataclass(frozen=True)
class SaleRule:
    name: str
    kind: str  # percent | amount
    value: Decimal
    scope: str  # product | category | all
    target: str | None
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class StockRuleSpec:
    name: str
    min_stock: int | None
    max_stock: int | None
    effect: str  # no_discount | percent_off
    percent: Decimal | None = None


@dataclass(frozen=True)
class CouponSpec:
    code: str
    kind: str  # percent | amount
    value: Decimal
    valid_from: datetime
    valid_to: datetime
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    min_order_value: Decimal | None = None
    customer_id: str | None = None
    uses: int = 0


@dataclass(frozen=True)
class Limits:
    floor_price: Decimal | None = None
    ceiling_price: Decimal | None = None
    max_daily_change_percent: Decimal | None = None
    min_change_interval_minutes: int | None = None


@dataclass(frozen=True)
class LastShelfPrice:
    """The SKU's last quoted shelf price, when it last changed, and the price the current 24-hour
    window opened with (the reference for the daily change limit; default: the last price)."""

    price: Decimal
    changed_at: datetime
    day_price: Decimal | None = None

    @property
    def reference(self) -> Decimal:
        return self.price if self.day_price is None else self.day_price


@dataclass(frozen=True)
class QuoteRequest:
    base_price: Decimal
    quantity: int = 1
    currency: str = "USD"
    sku: str | None = None
    product_id: str | None = None
    category: str | None = None
    customer_id: str | None = None
    tier: str | None = None
    stock: int | None = None
    consent: bool = False  # the shopper agreed to personalisation: only then do tier and customer count


OfferHook = Callable[[Decimal], "tuple[Decimal, str] | None"]
"""Called with the price after the tier discount; returns a learned price and why, or None."""


@dataclass(frozen=True)
class Adjustment:
    kind: str  # sale | stock | tier | learned | coupon | guardrail
    amount: Decimal  # change of the unit price (negative = cheaper)
    price_after: Decimal
    explanation: str


@dataclass
class Decision:
    unit_price: Decimal
    shelf_price: Decimal
    adjustments: list[Adjustment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    guardrail: str | None = None
    coupon_applied: bool = False

    def add(self, kind: str, new_price: Decimal, explanation: str) -> None:
        new_price = cents(new_price)
        self.adjustments.append(Adjustment(kind, new_price - self.unit_price, new_price, explanation))
        self.unit_price = new_price


# -- single rules ---------------------------------------------------------------------------------


def sale_applies(sale: SaleRule, request: QuoteRequest, now: datetime) -> bool:
    """Active now, and the scope matches: a category sale covers its subcategories too."""
    if not sale.starts_at <= now < sale.ends_at:
        return False
    if sale.scope == "all":
        return True
    if sale.scope == "product":
        return sale.target in (request.product_id, request.sku)
    category, target = request.category or "", sale.target or ""
    return bool(target) and (category == target or category.startswith(target + "/"))


def discounted(price: Decimal, kind: str, value: Decimal) -> Decimal:
    """Percent or amount off, never below zero."""
    cut = price * value / HUNDRED if kind == "percent" else value
    return max(cents(price - cut), Decimal("0.00"))


def describe_off(kind: str, value: Decimal, currency: str) -> str:
    return f"{fmt_percent(value)} off" if kind == "percent" else f"{fmt_money(value, currency)} off"


def best_sale(sales: list[SaleRule], request: QuoteRequest, price: Decimal, now: datetime) -> SaleRule | None:
    """Sales do not stack: the one giving the lowest price wins (ties: the one ending first)."""
    active = [s for s in sales if sale_applies(s, request, now)]
    if not active:
        return None
    return min(active, key=lambda s: (discounted(price, s.kind, s.value), s.ends_at))


def matching_stock_rule(rules: list[StockRuleSpec], stock: int | None) -> StockRuleSpec | None:
    """The first rule whose range holds the stock level; `no_discount` rules are checked first."""
    if stock is None:
        return None
    ordered = sorted(rules, key=lambda r: r.effect != "no_discount")
    for rule in ordered:
        low_ok = rule.min_stock is None or stock >= rule.min_stock
        high_ok = rule.max_stock is None or stock <= rule.max_stock
        if low_ok and high_ok:
            return rule
    return None


def coupon_problem(
    coupon: CouponSpec,
    customer_id: str | None,
    order_value: Decimal,
    now: datetime,
    customer_uses: int,
    currency: str = "USD",
) -> str | None:
    """Why this coupon cannot be used right now, or None. Shared by quotes and redemption."""
    if now < coupon.valid_from:
        return f"coupon {coupon.code} is not valid until {coupon.valid_from:%d %b %Y}"
    if now >= coupon.valid_to:
        return f"coupon {coupon.code} expired on {coupon.valid_to:%d %b %Y}"
    if coupon.customer_id is not None and coupon.customer_id != customer_id:
        return f"coupon {coupon.code} is personal to another customer"
    if coupon.max_uses is not None and coupon.uses >= coupon.max_uses:
        return f"coupon {coupon.code} has been used up"
    if coupon.max_uses_per_customer is not None and customer_uses >= coupon.max_uses_per_customer:
        times = "once" if coupon.max_uses_per_customer == 1 else f"{coupon.max_uses_per_customer} times"
        return f"coupon {coupon.code} can be used {times} per customer and this customer already has"
    if coupon.min_order_value is not None and order_value < coupon.min_order_value:
        return f"coupon {coupon.code} needs an order of at least {fmt_money(coupon.min_order_value, currency)}"
    return None


def change_guardrail(
    shelf: Decimal, last: LastShelfPrice | None, limits: Limits, now: datetime, currency: str
) -> tuple[Decimal, str | None]:
    """Holds the shelf price if it changed too recently, or limits the change vs the last quoted price."""
    if last is None or shelf == last.price:
        return shelf, None
    interval = limits.min_change_interval_minutes
    if interval and now - last.changed_at < timedelta(minutes=interval):
        return last.price, (
            f"held at the current price of {fmt_money(last.price, currency)}: "
            f"prices change at most every {_duration(interval)}"
        )
    pct = limits.max_daily_change_percent
    if pct is not None:
        step = cents(last.reference * pct / HUNDRED)
        low, high = last.reference - step, last.reference + step
        if not low <= shelf <= high:
            bound = low if shelf < low else high
            return bound, (
                f"held at {fmt_money(bound, currency)}: prices move at most {fmt_percent(pct)} a day "
                f"from {fmt_money(last.reference, currency)}"
            )
    return shelf, None


def floor_ceiling(price: Decimal, limits: Limits, currency: str) -> tuple[Decimal, str | None]:
    if limits.floor_price is not None and price < limits.floor_price:
        return limits.floor_price, f"held at the floor price of {fmt_money(limits.floor_price, currency)}"
    if limits.ceiling_price is not None and price > limits.ceiling_price:
        return limits.ceiling_price, f"held at the ceiling price of {fmt_money(limits.ceiling_price, currency)}"
    return price, None


def _duration(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return "24 h" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


# -- the whole decision ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    sales: list[SaleRule] = field(default_factory=list)
    stock_rules: list[StockRuleSpec] = field(default_factory=list)
    tier_percents: dict[str, Decimal] = field(default_factory=dict)
    limits: Limits = Limits()


def decide(
    request: QuoteRequest,
    rules: RuleSet,
    now: datetime,
    *,
    last_shelf: LastShelfPrice | None = None,
    coupon: CouponSpec | None = None,
    coupon_code: str | None = None,
    coupon_customer_uses: int = 0,
    learned_offer: OfferHook | None = None,
) -> Decision:
    """Applies every step in order and explains each; see the module docstring for the order."""
    cur = request.currency
    decision = Decision(unit_price=cents(request.base_price), shelf_price=cents(request.base_price))
    stock_rule = matching_stock_rule(rules.stock_rules, request.stock)
    withhold = stock_rule is not None and stock_rule.effect == "no_discount"
    if withhold:
        assert stock_rule is not None
        decision.add("stock", decision.unit_price, f"{stock_rule.name} ({request.stock} left): no automatic discounts")

    sale = best_sale(rules.sales, request, decision.unit_price, now)
    if sale is not None and not withhold:
        explanation = f"{sale.name}: {describe_off(sale.kind, sale.value, cur)} until {fmt_day(sale.ends_at)}"
        decision.add("sale", discounted(decision.unit_price, sale.kind, sale.value), explanation)
    elif sale is not None:
        decision.notes.append(f"{sale.name} not applied because stock is low")

    if stock_rule is not None and stock_rule.effect == "percent_off" and stock_rule.percent:
        explanation = f"{stock_rule.name} ({request.stock} in stock): {fmt_percent(stock_rule.percent)} off"
        decision.add("stock", discounted(decision.unit_price, "percent", stock_rule.percent), explanation)

    held, why = change_guardrail(decision.unit_price, last_shelf, rules.limits, now, cur)
    if why:
        decision.add("guardrail", held, why)
        decision.guardrail = why
    decision.shelf_price = decision.unit_price

    tier_pct = rules.tier_percents.get(request.tier or "", Decimal(0))
    if request.tier and tier_pct > 0 and not withhold:
        label = TIER_LABELS.get(request.tier, request.tier)
        explanation = f"{fmt_percent(tier_pct)} {label} discount applied"
        decision.add("tier", discounted(decision.unit_price, "percent", tier_pct), explanation)
    elif request.tier and tier_pct > 0:
        label = TIER_LABELS.get(request.tier, request.tier)
        decision.notes.append(f"{label} discount not applied because stock is low")

    if learned_offer is not None and not withhold:
        learned = learned_offer(decision.unit_price)
        if learned is not None:
            decision.add("learned", *learned)
    elif learned_offer is not None:
        decision.notes.append("learned offer not applied because stock is low")

    if coupon_code and coupon is None:
        decision.notes.append(f"coupon {coupon_code} does not exist")
    elif coupon is not None:
        _apply_coupon(decision, request, coupon, now, coupon_customer_uses)

    final, why = floor_ceiling(decision.unit_price, rules.limits, cur)
    if why:
        decision.add("guardrail", final, why)
        decision.guardrail = why
    return decision


def _apply_coupon(decision: Decision, request: QuoteRequest, coupon: CouponSpec, now: datetime, uses: int) -> None:
    """Amount coupons are for the whole order, so they are spread over the units."""
    order_value = decision.unit_price * request.quantity
    problem = coupon_problem(coupon, request.customer_id, order_value, now, uses, request.currency)
    if problem:
        decision.notes.append(f"{problem}, so it was not applied")
        return
    if coupon.kind == "percent":
        new_price = discounted(decision.unit_price, "percent", coupon.value)
    else:
        new_price = discounted(decision.unit_price, "amount", coupon.value / request.quantity)
    off = describe_off(coupon.kind, coupon.value, request.currency)
    decision.add("coupon", new_price, f"coupon {coupon.code}: {off}")
    decision.coupon_applied = True
