"""The price learner's outcome sweep: which purchase ties to which learned quote (pure), and the sweep on
a real pricing database (SQLite and PostgreSQL) with a stand-in for the orders backend: bought within
the window → `bought=true` and the arm's alpha grows, window passed → `bought=false`, open window →
waits, guests never get an outcome, orders unreadable → postponed with a log line and decided later,
a second run records nothing twice."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from backends.pricing import rules
from backends.pricing.db import create_tables, make_engine, make_sessions
from backends.pricing.learning.outcomes import OutcomeSettings, PendingQuote, Purchase, naive_utc, outcome
from backends.pricing.learning.settings import LearnerSettings
from backends.pricing.outcomes import OrderPurchases, PurchasesUnavailable, SweepResult, main, sweep
from backends.pricing.service import PricingService
from service_clients.orders import OrdersClient
from settings_kit.settings import InvalidSetting
from tests.support.servers import free_port

START = datetime(2026, 12, 1, 12, 0)
WINDOW = timedelta(hours=48)
QUOTE = PendingQuote(quote_id=1, customer_id="C1", sku="TSH-BLK-M", at=START)


def bought(at: datetime, *skus: str) -> Purchase:
    return Purchase(at, frozenset(skus))


# -- matching (pure) ----------------------------------------------------------------------------------


def test_an_order_of_the_quoted_sku_within_the_window_is_a_purchase() -> None:
    assert outcome(QUOTE, [bought(START + timedelta(hours=47), "BTL-TEA", "TSH-BLK-M")], START, WINDOW) is True
    assert outcome(QUOTE, [bought(START, "TSH-BLK-M")], START, WINDOW) is True  # the window includes its start


def test_orders_before_the_quote_after_the_window_or_of_other_skus_are_not() -> None:
    late = START + WINDOW + timedelta(seconds=1)
    others = [bought(START - timedelta(minutes=1), "TSH-BLK-M"), bought(late, "TSH-BLK-M"), bought(START, "BTL-TEA")]
    assert outcome(QUOTE, others, START + timedelta(hours=1), WINDOW) is None  # still open: may yet buy
    assert outcome(QUOTE, others, START + WINDOW, WINDOW) is False


def test_a_guest_quote_or_one_without_a_sku_is_never_decided() -> None:
    for quote in (PendingQuote(2, None, "TSH-BLK-M", START), PendingQuote(3, "C1", None, START)):
        assert outcome(quote, [bought(START, "TSH-BLK-M")], START + 10 * WINDOW, WINDOW) is None


def test_order_times_become_naive_utc() -> None:
    aware = datetime(2026, 12, 1, 13, 0, tzinfo=UTC).astimezone(tz=None)
    assert naive_utc(aware) == datetime(2026, 12, 1, 13, 0)


def test_settings_default_and_bounds() -> None:
    settings = OutcomeSettings.from_env({})
    assert settings.window == timedelta(hours=48) and settings.sweep_every == timedelta(minutes=15)
    assert OutcomeSettings.from_env({"PRICING_OUTCOME_WINDOW_H": "0.5"}).window == timedelta(minutes=30)
    with pytest.raises(InvalidSetting, match="PRICING_OUTCOME_WINDOW_H"):
        OutcomeSettings.from_env({"PRICING_OUTCOME_WINDOW_H": "0"})


# -- the sweep on a real pricing database ----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Orders:
    """The orders backend as the sweep sees it: purchases per customer, or down."""

    def __init__(self) -> None:
        self.by_customer: dict[str, list[Purchase]] = {}
        self.down = False
        self.asked: list[str] = []

    async def purchases(self, customer_id: str) -> list[Purchase]:
        self.asked.append(customer_id)
        if self.down:
            raise PurchasesUnavailable("connection refused")
        return self.by_customer.get(customer_id, [])


@pytest.fixture
async def pricing(db_url: str) -> AsyncIterator[PricingService]:
    engine = make_engine(db_url)
    await create_tables(engine)
    yield PricingService(make_sessions(engine), Clock(), LearnerSettings(enabled=True), random.Random(3))
    await engine.dispose()


async def quote(service: PricingService, customer: str | None, consent: bool = True) -> tuple[int, Decimal]:
    """A learned quote; its id and the discount of the arm it counted on."""
    request = rules.QuoteRequest(
        base_price=Decimal("24.00"),
        quantity=1,
        currency="USD",
        sku="TSH-BLK-M",
        product_id="organic-tee",
        category="apparel/clothing/tops",
        customer_id=customer,
        tier=None,
        stock=None,
        consent=consent,
    )
    result = await service.quote(request)
    assert result["learner"] is not None
    return result["quote_id"], Decimal(str(result["learner"]["discount"]))


async def arm(service: PricingService, segment: str, discount: Decimal) -> dict:
    arms = (await service.learner_arms("apparel/clothing", segment))["arms"]
    return next(a for a in arms if Decimal(str(a["discount"])) == discount)


async def decided(service: PricingService, quote_id: int) -> bool:
    """Whether the quote has an outcome (which way is checked through its arm)."""
    _, pending = await service.pending_outcomes(timedelta(days=365))
    return all(p.quote_id != quote_id for p in pending)


SETTINGS = OutcomeSettings(window=WINDOW)


async def test_a_purchase_within_the_window_records_bought_and_moves_the_arm(pricing: PricingService) -> None:
    clock = pricing._clock
    assert isinstance(clock, Clock)
    quote_id, discount = await quote(pricing, "C1")
    before = await arm(pricing, "new", discount)
    orders = Orders()
    orders.by_customer["C1"] = [bought(START + timedelta(hours=3), "TSH-BLK-M")]
    clock.now = START + timedelta(hours=4)
    assert await sweep(pricing, orders, SETTINGS) == SweepResult(bought=1)
    after = await arm(pricing, "new", discount)
    assert after["alpha"] == pytest.approx(before["alpha"] + 1) and after["purchases"] == 1
    assert after["beta"] == pytest.approx(before["beta"])
    # Idempotent: the quote is decided, a second run has nothing to do and asks nobody.
    orders.asked.clear()
    assert await sweep(pricing, orders, SETTINGS) == SweepResult()
    assert orders.asked == [] and await decided(pricing, quote_id)


async def test_no_purchase_waits_for_the_window_then_records_not_bought(pricing: PricingService) -> None:
    clock = pricing._clock
    assert isinstance(clock, Clock)
    quote_id, discount = await quote(pricing, "C2")
    before = await arm(pricing, "new", discount)
    orders = Orders()
    orders.by_customer["C2"] = [bought(START + timedelta(hours=1), "BTL-TEA")]  # something else
    clock.now = START + WINDOW - timedelta(minutes=1)
    assert await sweep(pricing, orders, SETTINGS) == SweepResult(waiting=1)
    assert not await decided(pricing, quote_id)
    clock.now = START + WINDOW
    assert await sweep(pricing, orders, SETTINGS) == SweepResult(not_bought=1)
    after = await arm(pricing, "new", discount)
    assert after["beta"] == pytest.approx(before["beta"] + 1) and after["alpha"] == pytest.approx(before["alpha"])


async def test_guest_quotes_and_quotes_without_consent_are_never_swept(pricing: PricingService) -> None:
    """A guest's quote cannot be tied to an order; a customer who did not consent to personalisation
    is priced as a guest and their orders are not read to learn prices."""
    clock = pricing._clock
    assert isinstance(clock, Clock)
    guest, _ = await quote(pricing, None)
    refused, _ = await quote(pricing, "C5", consent=False)
    orders = Orders()
    orders.by_customer["C5"] = [bought(START + timedelta(hours=1), "TSH-BLK-M")]
    clock.now = START + 10 * WINDOW
    assert await sweep(pricing, orders, SETTINGS) == SweepResult()
    assert orders.asked == []
    assert (await pricing.quote_audit(guest))["customer_id"] is None
    assert (await pricing.quote_audit(refused))["inputs"]["learner"]["segment"] == "anonymous"
    for quote_id in (guest, refused):  # no outcome was recorded: the shop may still post one itself
        assert (await pricing.record_outcome(quote_id, True))["quote_id"] == quote_id


async def test_orders_down_postpones_with_a_log_line_and_the_next_run_catches_up(
    pricing: PricingService, caplog: pytest.LogCaptureFixture
) -> None:
    clock = pricing._clock
    assert isinstance(clock, Clock)
    _, discount = await quote(pricing, "C3")
    before = await arm(pricing, "new", discount)
    orders = Orders()
    orders.by_customer["C3"] = [bought(START + timedelta(hours=2), "TSH-BLK-M")]
    orders.down = True
    clock.now = START + 2 * WINDOW  # the window has passed while the orders could not be read
    with caplog.at_level(logging.WARNING, logger="backends.pricing.outcomes"):
        assert await sweep(pricing, orders, SETTINGS) == SweepResult(postponed=1)
    assert "1 quotes postponed" in caplog.text and "connection refused" in caplog.text
    assert (await arm(pricing, "new", discount))["beta"] == pytest.approx(before["beta"])  # no false "no sale"
    orders.down = False
    assert await sweep(pricing, orders, SETTINGS) == SweepResult(bought=1)
    assert (await arm(pricing, "new", discount))["alpha"] == pytest.approx(before["alpha"] + 1)


async def test_a_quote_decided_elsewhere_meanwhile_counts_as_already_done(pricing: PricingService) -> None:
    clock = pricing._clock
    assert isinstance(clock, Clock)
    quote_id, _ = await quote(pricing, "C4")
    clock.now = START + WINDOW

    class RacingOrders(Orders):
        async def purchases(self, customer_id: str) -> list[Purchase]:
            await pricing.record_outcome(quote_id, True)  # the shop's checkout posts it first
            return []

    assert await sweep(pricing, RacingOrders(), SETTINGS) == SweepResult(already=1)


async def test_the_real_orders_client_down_is_unavailable_not_no_purchase() -> None:
    source = OrderPurchases(OrdersClient(f"http://127.0.0.1:{free_port()}", "token", timeout_s=1))
    try:
        with pytest.raises(PurchasesUnavailable):
            await source.purchases("C1")
    finally:
        await source.close()


def test_the_command_sweeps_once_and_postpones_while_the_orders_backend_is_down(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def one_quote() -> None:
        engine = make_engine(db_url)
        await create_tables(engine)
        clock = Clock()
        await quote(PricingService(make_sessions(engine), clock, LearnerSettings(enabled=True), random.Random(3)), "C6")
        await engine.dispose()

    asyncio.run(one_quote())
    monkeypatch.setenv("ORDERS_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("ORDERS_API_TOKEN", "token")
    monkeypatch.setenv("PRICING_OUTCOME_WINDOW_H", "48")
    # The command sets up logging for its process: a root handler on the stderr pytest captures, which
    # later tests' log lines would hit after that stream is closed.
    monkeypatch.setattr("backends.pricing.outcomes.configure_logging", lambda: None)
    main(["--db", db_url, "--now", (START + 3 * WINDOW).isoformat()])
    assert json.loads(capsys.readouterr().out) == {
        "bought": 0,
        "not_bought": 0,
        "waiting": 0,
        "postponed": 1,
        "already": 0,
    }
