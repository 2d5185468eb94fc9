"""The pricing service on a real database (SQLite and PostgreSQL): audit rows, remembered shelf
prices, tier lookup, coupon limits incl. a race for the last use, and the goodwill budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from backends.pricing.db import create_tables, make_engine, make_sessions
from backends.pricing.errors import Invalid, NotFound, Refused
from backends.pricing.models import QuoteAudit, Redemption
from backends.pricing.rules import QuoteRequest
from backends.pricing.service import PricingService, parse_time, when

pytestmark = pytest.mark.asyncio

START = datetime(2025, 8, 10, 12, 0)
BUDGET = {"daily_budget": "30.00", "per_customer_budget": "15.00", "default_amount": "10.00", "valid_days": 30}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def pricing(db_url: str, clock: Clock) -> AsyncIterator[PricingService]:
    engine = make_engine(db_url)
    await create_tables(engine)
    service = PricingService(make_sessions(engine), clock)
    service.engine = engine  # type: ignore[attr-defined]
    yield service
    await engine.dispose()


def shirt(**changes: object) -> QuoteRequest:
    fields: dict = {"base_price": D("40.00"), "sku": "SH-1-M", "product_id": "shirt-1", "category": "apparel/shirts"}
    return QuoteRequest(**{**fields, **changes})


async def make_coupon(service: PricingService, code: str, **extra: object) -> None:
    body = {
        "code": code,
        "kind": "percent",
        "value": 10,
        "valid_from": when(START - timedelta(days=1)),
        "valid_to": when(START + timedelta(days=30)),
        **extra,
    }
    await service.create_coupon(body)


async def count(service: PricingService, model: type) -> int:
    async with service._sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_every_quote_is_audited(pricing: PricingService) -> None:
    await pricing.set_tier("vip", D(10))
    quote = await pricing.quote(shirt(tier="vip", customer_id="C1", quantity=2, consent=True))
    assert quote["unit_price"] == "36.00" and quote["total"] == "72.00"
    audit = await pricing.quote_audit(quote["quote_id"])
    assert audit["inputs"]["base_price"] == "40.00" and audit["inputs"]["quantity"] == 2
    assert audit["inputs"]["customer_tier"] == "vip" and audit["customer_id"] == "C1"
    assert audit["inputs"]["personalisation_consent"] is True
    assert audit["adjustments"] == quote["adjustments"] and audit["unit_price"] == "36.00"
    assert audit["at"] == when(START) and audit["key"] == "SH-1-M"
    await pricing.quote(shirt())
    assert await count(pricing, QuoteAudit) == 2
    with pytest.raises(NotFound):
        await pricing.quote_audit(999)


def tier_of(quote: dict) -> tuple:
    return quote["customer_tier"], quote["tier_source"], quote["unit_price"]


async def test_tier_given_recorded_derived_or_anonymous(pricing: PricingService) -> None:
    await pricing.set_tier("regular", D(5))
    await pricing.set_tier("new", D(2))
    await pricing.set_customer_tier("C1", "regular")
    recorded = await pricing.quote(shirt(customer_id="C1", consent=True))
    assert (recorded["customer_tier"], recorded["tier_source"], recorded["unit_price"]) == (
        "regular",
        "recorded",
        "38.00",
    )
    derived = await pricing.quote(shirt(customer_id="C9", consent=True))
    assert (derived["customer_tier"], derived["tier_source"], derived["unit_price"]) == ("new", "derived", "39.20")
    anonymous = await pricing.quote(shirt())
    assert (anonymous["customer_tier"], anonymous["tier_source"], anonymous["unit_price"]) == (
        None,
        "anonymous",
        "40.00",
    )
    given = await pricing.quote(shirt(customer_id="C1", tier="new", consent=True))
    assert given["tier_source"] == "given" and given["unit_price"] == "39.20"


async def test_without_consent_the_public_price_whatever_customer_or_tier(pricing: PricingService) -> None:
    """The same recorded VIP customer: the tier discount only with consent; without it the public price,
    also when the caller names the tier itself, and a coupon the shopper typed still applies."""
    await pricing.set_tier("vip", D(10))
    await pricing.set_customer_tier("C1", "vip")
    await make_coupon(pricing, "TYPED")
    assert tier_of(await pricing.quote(shirt(customer_id="C1", consent=True))) == ("vip", "recorded", "36.00")
    for request in (shirt(customer_id="C1"), shirt(customer_id="C1", tier="vip"), shirt(tier="vip")):
        assert tier_of(await pricing.quote(request)) == (None, "no_consent", "40.00")
    typed = await pricing.quote(shirt(customer_id="C1"), "typed")
    assert typed["coupon_applied"] is True and [a["kind"] for a in typed["adjustments"]] == ["coupon"]
    audit = await pricing.quote_audit(typed["quote_id"])
    assert audit["inputs"]["personalisation_consent"] is False and audit["inputs"]["customer_tier"] is None


async def test_shelf_price_is_remembered_for_the_change_guardrails(pricing: PricingService, clock: Clock) -> None:
    await pricing.set_guardrail("default", {"max_daily_change_percent": 10, "min_change_interval_minutes": 60})
    assert (await pricing.quote(shirt()))["unit_price"] == "40.00"
    clock.advance(hours=2)
    cut = await pricing.quote(shirt(base_price=D("20.00")))
    assert (
        cut["unit_price"] == "36.00" and cut["guardrail"] == "held at $36.00: prices move at most 10% a day from $40.00"
    )
    clock.advance(minutes=10)
    held = await pricing.quote(shirt(base_price=D("20.00")))
    assert held["unit_price"] == "36.00"
    assert held["guardrail"] == "held at the current price of $36.00: prices change at most every 1 h"
    clock.advance(hours=1)
    later = await pricing.quote(shirt(base_price=D("20.00")))
    assert later["unit_price"] == "36.00", "small steps must not add up to more than 10% within a day"
    clock.advance(hours=22)
    next_day = await pricing.quote(shirt(base_price=D("20.00")))
    assert next_day["unit_price"] == "32.40"
    assert next_day["guardrail"] == "held at $32.40: prices move at most 10% a day from $36.00"


async def test_concurrent_quotes_for_one_sku_all_succeed_and_are_audited(pricing: PricingService) -> None:
    await pricing.set_guardrail("default", {"max_daily_change_percent": 10})
    results = await asyncio.gather(*(pricing.quote(shirt(customer_id=f"C{i}")) for i in range(10)))
    assert {r["unit_price"] for r in results} == {"40.00"}
    assert await count(pricing, QuoteAudit) == 10


async def test_guardrail_most_specific_wins(pricing: PricingService) -> None:
    await pricing.set_guardrail("default", {"floor_price": "10.00"})
    await pricing.set_guardrail("shirt-1", {"floor_price": "30.00"})
    await pricing.set_guardrail("SH-1-L", {"floor_price": "35.00"})
    await pricing.set_tier("vip", D(50))
    assert (await pricing.quote(shirt(tier="vip", consent=True)))["unit_price"] == "30.00"
    assert (await pricing.quote(shirt(tier="vip", consent=True, sku="SH-1-L")))["unit_price"] == "35.00"
    other = await pricing.quote(shirt(tier="vip", consent=True, sku="X-1", product_id="other"))
    assert other["unit_price"] == "20.00" and other["guardrail"] is None


async def test_redeem_records_a_use_and_enforces_limits(pricing: PricingService, clock: Clock) -> None:
    await make_coupon(pricing, "WELCOME10", max_uses=2, max_uses_per_customer=1, min_order_value="30.00")
    result = await pricing.redeem("welcome10", "C1", D("40.00"), "104532")
    assert result["coupon"]["uses"] == 1 and result["code"] == "WELCOME10"
    with pytest.raises(Refused, match="once per customer"):
        await pricing.redeem("WELCOME10", "C1", D("40.00"))
    with pytest.raises(Refused, match=r"at least \$30\.00"):
        await pricing.redeem("WELCOME10", "C2", D("20.00"))
    await pricing.redeem("WELCOME10", "C2", D("40.00"))
    with pytest.raises(Refused, match="used up"):
        await pricing.redeem("WELCOME10", "C3", D("40.00"))
    assert (await pricing.get_coupon("WELCOME10"))["uses"] == 2
    assert await count(pricing, Redemption) == 2
    with pytest.raises(NotFound):
        await pricing.redeem("NOPE1", "C1", D("40.00"))
    await make_coupon(pricing, "SHORT", valid_to=when(START + timedelta(days=1)))
    clock.advance(days=2)
    with pytest.raises(Refused, match="SHORT expired on 11 Aug 2025"):
        await pricing.redeem("SHORT", "C1", D("40.00"))


async def test_quote_reflects_coupon_limits(pricing: PricingService) -> None:
    await make_coupon(pricing, "ONCE", max_uses_per_customer=1)
    first = await pricing.quote(shirt(customer_id="C1"), "once")
    assert first["coupon_applied"] and first["adjustments"][-1]["explanation"] == "coupon ONCE: 10% off"
    await pricing.redeem("ONCE", "C1", D("40.00"))
    again = await pricing.quote(shirt(customer_id="C1"), "ONCE")
    assert not again["coupon_applied"] and "once per customer" in again["notes"][0]


async def test_only_one_of_many_concurrent_redemptions_gets_the_last_use(pricing: PricingService) -> None:
    await make_coupon(pricing, "LAST1", max_uses=3)
    await pricing.redeem("LAST1", "C0", D("40.00"))
    await pricing.redeem("LAST1", "C00", D("40.00"))
    results = await asyncio.gather(
        *(pricing.redeem("LAST1", f"C{i}", D("40.00")) for i in range(1, 9)), return_exceptions=True
    )
    wins = [r for r in results if isinstance(r, dict)]
    refusals = [r for r in results if isinstance(r, Refused)]
    assert len(wins) == 1 and len(refusals) == 7, results
    assert all("used up" in r.message for r in refusals)
    assert (await pricing.get_coupon("LAST1"))["uses"] == 3
    assert await count(pricing, Redemption) == 3


async def test_same_customer_racing_a_once_per_customer_coupon(pricing: PricingService) -> None:
    await make_coupon(pricing, "ONCE", max_uses_per_customer=1)
    results = await asyncio.gather(
        *(pricing.redeem("ONCE", "C1", D("40.00")) for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert (await pricing.get_coupon("ONCE"))["uses"] == 1


async def test_goodwill_needs_a_budget(pricing: PricingService) -> None:
    with pytest.raises(Refused, match="No goodwill budget"):
        await pricing.goodwill("C1", "parcel arrived late")
    await pricing.set_budget({**BUDGET, "enabled": False})
    with pytest.raises(Refused, match="switched off"):
        await pricing.goodwill("C1", "parcel arrived late")


async def test_goodwill_issues_a_personal_one_time_coupon(pricing: PricingService) -> None:
    await pricing.set_budget(BUDGET)
    offer = await pricing.goodwill("C1", "parcel arrived late", "104532")
    code = offer["coupon_code"]
    assert offer["amount"] == "10.00" and code.startswith("GW-") and code in offer["explanation"]
    coupon = await pricing.get_coupon(code)
    assert coupon["customer_id"] == "C1" and coupon["max_uses"] == 1 and coupon["kind"] == "amount"
    quote = await pricing.quote(shirt(customer_id="C1"), code)
    assert quote["unit_price"] == "30.00" and quote["adjustments"][-1]["explanation"] == f"coupon {code}: $10.00 off"
    with pytest.raises(Refused, match="personal to another customer"):
        await pricing.redeem(code, "C2", D("40.00"))
    await pricing.redeem(code, "C1", D("40.00"))
    with pytest.raises(Refused, match="used up"):
        await pricing.redeem(code, "C1", D("40.00"))


async def test_goodwill_budget_per_customer_and_per_day(pricing: PricingService, clock: Clock) -> None:
    await pricing.set_budget(BUDGET)
    with pytest.raises(Refused, match=r"above the per-customer limit of 15\.00"):
        await pricing.goodwill("C1", "late", amount=D("20.00"))
    await pricing.goodwill("C1", "late")
    with pytest.raises(Refused, match=r"already received 10\.00 in goodwill in the last 30 days"):
        await pricing.goodwill("C1", "late again")
    await pricing.goodwill("C1", "late again", amount=D("5.00"))
    await pricing.goodwill("C2", "damaged")
    with pytest.raises(Refused, match=r"Today's goodwill budget is used up \(5\.00 of 30\.00 left\)"):
        await pricing.goodwill("C3", "damaged")
    await pricing.goodwill("C3", "damaged", amount=D("5.00"))
    clock.advance(days=1)
    assert (await pricing.goodwill("C3", "still damaged"))["amount"] == "10.00"


async def test_concurrent_goodwill_never_overspends_the_day(pricing: PricingService) -> None:
    await pricing.set_budget(BUDGET)
    results = await asyncio.gather(
        *(pricing.goodwill(f"C{i}", "storm delay") for i in range(6)), return_exceptions=True
    )
    assert sum(isinstance(r, dict) for r in results) == 3, results
    assert all(isinstance(r, dict | Refused) for r in results)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:29+01:00", "not a time", "2025-13-01T00:00:00Z"])
def test_times_that_cannot_be_read_are_invalid_input_not_a_crash(value: str) -> None:
    with pytest.raises(Invalid):
        parse_time(value, "valid_from")
