"""The outcome sweep: closes the price learner's loop with the shop's real purchases.

Each run reads the learned quotes without an outcome (`PricingService.pending_outcomes`), asks the
orders backend for each quoted customer's recent orders, and records `bought=true` for a quote whose SKU
the customer ordered within `PRICING_OUTCOME_WINDOW_H`, `bought=false` for one whose window passed without
(the matching is `learning/outcomes.py`). It runs every `PRICING_OUTCOME_SWEEP_MIN` inside the pricing
service while the learner is on, and as a command for cron or by hand:

    python -m backends.pricing.outcomes [--db URL] [--now 2026-12-07T14:00:00]

Nothing is lost when a part is down: purchases stay in the orders backend, so when it cannot be read the
customer's quotes are left pending (a log line) and the next run decides them; when the pricing service
was down, the next run finds every purchase made meanwhile. Running twice (two replicas, cron and the
timer) records nothing twice: one outcome per quote, the second is refused and counted as done.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Protocol

from aiohttp import web

from backends.pricing.db import create_tables, default_db_url, make_engine, make_sessions
from backends.pricing.errors import Refused
from backends.pricing.learning.outcomes import OutcomeSettings, PendingQuote, Purchase, naive_utc, outcome
from backends.pricing.service import PricingService, utcnow
from contracts.log_setup import configure_logging
from contracts.orders import OrderStatus
from service_clients.orders import OrderNotFound, OrdersClient, OrdersError
from settings_kit.settings import InvalidSetting

logger = logging.getLogger(__name__)

ORDERS_PER_CUSTOMER = 50  # the orders backend's page limit; far more than a customer places in a window


class PurchasesUnavailable(Exception):
    """The customer's orders could not be read now: decide their quotes on a later run."""


class PurchaseSource(Protocol):
    async def purchases(self, customer_id: str) -> list[Purchase]: ...


class OrdersReader(OrdersClient):
    """The orders backend's client as the pricing service uses it (its own name in the orders audit log)."""

    actor = "pricing-outcomes"


class OrderPurchases:
    """A customer's purchases from the orders backend: their newest orders, cancelled ones left out."""

    def __init__(self, client: OrdersClient) -> None:
        self.client = client

    async def purchases(self, customer_id: str) -> list[Purchase]:
        try:
            orders = await self.client.list_customer_orders(customer_id, ORDERS_PER_CUSTOMER)
        except OrderNotFound:  # a customer the shop has no orders for
            return []
        except OrdersError as error:  # down, slow, refused our token: try again on the next run
            raise PurchasesUnavailable(str(error)) from error
        return [
            Purchase(naive_utc(order.placed_at), frozenset(line.sku for line in order.lines))
            for order in orders
            if order.status != OrderStatus.CANCELLED
        ]

    async def close(self) -> None:
        await self.client.close()


@dataclass
class SweepResult:
    bought: int = 0
    not_bought: int = 0
    waiting: int = 0  # window still open
    postponed: int = 0  # the customer's orders could not be read
    already: int = 0  # another sweep recorded it first


async def sweep(service: PricingService, source: PurchaseSource, settings: OutcomeSettings) -> SweepResult:
    """One pass over the pending learned quotes; idempotent."""
    now, pending = await service.pending_outcomes(settings.window + settings.catch_up)
    by_customer: dict[str, list[PendingQuote]] = {}
    for quote in pending:
        if quote.customer_id:
            by_customer.setdefault(quote.customer_id, []).append(quote)
    result, unavailable = SweepResult(), ""
    for customer, quotes in by_customer.items():
        try:
            purchases = await source.purchases(customer)
        except PurchasesUnavailable as error:
            result.postponed += len(quotes)
            unavailable = str(error)
            continue
        await _record(service, quotes, purchases, now, settings, result)
    if result.postponed:
        logger.warning(
            "outcome sweep: orders unavailable (%s); %d quotes postponed to the next run", unavailable, result.postponed
        )
    if result.bought or result.not_bought:
        logger.info(
            "outcome sweep: %d bought, %d not bought, %d waiting", result.bought, result.not_bought, result.waiting
        )
    return result


async def _record(
    service: PricingService,
    quotes: Sequence[PendingQuote],
    purchases: Sequence[Purchase],
    now: datetime,
    settings: OutcomeSettings,
    result: SweepResult,
) -> None:
    for quote in quotes:
        bought = outcome(quote, purchases, now, settings.window)
        if bought is None:
            result.waiting += 1
            continue
        try:
            await service.record_outcome(quote.quote_id, bought)
        except Refused:  # outcome_exists: a concurrent sweep or the shop's own POST got there first
            result.already += 1
            continue
        if bought:
            result.bought += 1
        else:
            result.not_bought += 1


async def sweep_forever(service: PricingService, source: PurchaseSource, settings: OutcomeSettings) -> None:
    """The pricing service's timer: a failed run is a log line, never the end of the service."""
    while True:
        await asyncio.sleep(settings.sweep_every.total_seconds())
        try:
            await sweep(service, source, settings)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("outcome sweep failed; trying again in %s", settings.sweep_every)


SWEEP_TASK = web.AppKey("pricing_outcome_sweep", asyncio.Task[None])


def install(
    app: web.Application, service_key: web.AppKey[PricingService], source: OrderPurchases, settings: OutcomeSettings
) -> None:
    """Runs the sweep every `settings.sweep_every` while the app runs (after the database opened)."""

    async def start(app: web.Application) -> None:
        app[SWEEP_TASK] = asyncio.create_task(sweep_forever(app[service_key], source, settings), name="outcome-sweep")

    async def stop(app: web.Application) -> None:
        task = app.get(SWEEP_TASK)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await source.close()

    app.on_startup.append(start)
    app.on_shutdown.append(stop)


async def run_once(db_url: str, now: datetime | None, settings: OutcomeSettings) -> SweepResult:
    engine = make_engine(db_url)
    source = OrderPurchases(OrdersReader.from_env())
    try:
        await create_tables(engine)
        clock = utcnow if now is None else (lambda: now)
        return await sweep(PricingService(make_sessions(engine), clock), source, settings)
    finally:
        await source.close()
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Record the price learner's outcomes from the shop's orders.")
    parser.add_argument("--db", default=os.environ.get("PRICING_DB_URL") or default_db_url())
    parser.add_argument("--now", type=datetime.fromisoformat, help="UTC time of the run (default: now)")
    args = parser.parse_args(argv)
    configure_logging()
    now = None if args.now is None else naive_utc(args.now)
    try:
        settings = OutcomeSettings.from_env()
    except InvalidSetting as error:
        sys.exit(str(error))
    result = asyncio.run(run_once(args.db, now, settings))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
