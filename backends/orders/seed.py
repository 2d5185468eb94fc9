"""Deterministic demo data: `python -m backends.orders.seed [--db URL] [--customers N] [--seed S]`.

Customers come from Faker with a fixed seed; orders are driven through the real service operations
(pay, pack, ship, deliver, cancel, return, refund) at simulated times, so every order, shipment,
refund, invoice and audit row is one the service itself could have produced. Re-running with the
same seed adds nothing: the whole plan is drawn first, then only missing customers/orders are made.
Writes var/demo-orders.json: a few orders per status (and per scenario) for humans and e2e tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from faker import Faker

from backends.orders import rules
from backends.orders.db import DEFAULT_DB_URL, create_tables, make_engine, make_sessions
from backends.orders.errors import NotFound
from backends.orders.service import NewLine, OrdersService, utcnow
from contracts.orders import OrderStatus

logger = logging.getLogger(__name__)

ACTOR = "seed"
HUBS = ["Louisville, KY, US", "Memphis, TN, US", "Chicago, IL, US", "Indianapolis, IN, US", "Dallas, TX, US"]
CATALOGUE: list[tuple[str, str, list[str], list[str], str]] = [  # sku prefix, name, colours, sizes, price
    ("TSH", "Organic Cotton T-Shirt", ["white", "black", "navy", "sage"], ["XS", "S", "M", "L", "XL"], "24.00"),
    ("HOD", "Relaxed Fleece Hoodie", ["grey", "black", "forest green"], ["S", "M", "L", "XL"], "59.00"),
    ("JNS", "Slim Stretch Jeans", ["indigo", "black"], ["28", "30", "32", "34", "36"], "79.00"),
    ("RUN", "Trail Running Shoes", ["blue", "orange", "black"], ["8", "9", "10", "11", "12"], "119.00"),
    ("SNK", "Canvas Sneakers", ["white", "red"], ["7", "8", "9", "10", "11"], "54.00"),
    ("JKT", "Waterproof Rain Jacket", ["yellow", "navy", "olive"], ["S", "M", "L", "XL"], "139.00"),
    ("BAG", "Everyday Backpack 22L", ["black", "sand"], [], "89.00"),
    ("BTL", "Insulated Steel Bottle 750ml", ["silver", "teal", "coral"], [], "29.00"),
    ("HPH", "Wireless Noise-Cancelling Headphones", ["black", "silver"], [], "199.00"),
    ("CHG", "USB-C Fast Charger 65W", ["white"], [], "39.00"),
    ("MUG", "Stoneware Mug Set (4)", ["cream", "charcoal"], [], "34.00"),
    ("SCF", "Merino Wool Scarf", ["burgundy", "grey", "camel"], [], "45.00"),
    ("SKS", "Cushioned Socks (3 pairs)", ["mixed"], ["S", "M", "L"], "18.00"),
    ("LMP", "LED Desk Lamp", ["white", "black"], [], "64.00"),
    ("YGA", "Non-Slip Yoga Mat", ["purple", "blue", "black"], [], "42.00"),
]
PAYMENT_METHODS = (["card"] * 6) + ["paypal", "paypal", "apple_pay", "gift_card"]
DELIVERY_OPTIONS = (["standard"] * 6) + ["express", "express", "next_day"]
TIERS = (["standard"] * 7) + ["silver", "silver", "gold"]

# scenario -> the order status it ends in
SCENARIOS: dict[str, OrderStatus] = {
    "pending_payment": OrderStatus.PENDING_PAYMENT,
    "payment_failed": OrderStatus.PAYMENT_FAILED,
    "processing": OrderStatus.PROCESSING,
    "processing_with_cancellation_fee": OrderStatus.PROCESSING,
    "packed": OrderStatus.PACKED,
    "shipped": OrderStatus.SHIPPED,
    "out_for_delivery": OrderStatus.OUT_FOR_DELIVERY,
    "delivered_returnable": OrderStatus.DELIVERED,
    "delivered_return_window_closed": OrderStatus.DELIVERED,
    "return_requested": OrderStatus.DELIVERED,
    "return_rejected": OrderStatus.DELIVERED,
    "returned": OrderStatus.RETURNED,
    "cancelled_unpaid": OrderStatus.CANCELLED,
    "cancelled_paid": OrderStatus.CANCELLED,
}
WEIGHTS = {"delivered_returnable": 6, "delivered_return_window_closed": 6, "shipped": 3, "processing": 2}


class SimClock:
    """The service's clock during seeding: operations are stamped at simulated times."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class CustomerPlan:
    id: str
    name: str
    email: str
    postcode: str
    tier: str
    address: dict[str, Any]


@dataclass
class OrderPlan:
    number: int
    customer: CustomerPlan
    scenario: str
    lines: list[NewLine]
    address: dict[str, Any]
    delivery_option: str
    payment_method: str
    placed_at: datetime
    steps: list[tuple[datetime, Callable[[OrdersService, int], Any]]] = field(default_factory=list)


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def plan_customers(fake: Faker, rng: random.Random, count: int) -> list[CustomerPlan]:
    customers = []
    for index in range(count):
        first, last = fake.first_name(), fake.last_name()
        postcode = fake.zipcode()
        address = {
            "name": f"{first} {last}",
            "line1": fake.street_address(),
            "line2": fake.secondary_address() if rng.random() < 0.25 else None,
            "city": fake.city(),
            "postcode": postcode,
            "country": "US",
        }
        customers.append(
            CustomerPlan(
                id=f"C{1001 + index}",
                name=f"{first} {last}",
                email=f"{first}.{last}{index + 1}@example.com".lower().replace(" ", ""),
                postcode=postcode,
                tier=rng.choice(TIERS),
                address=address,
            )
        )
    return customers


def plan_lines(rng: random.Random) -> list[NewLine]:
    lines = []
    for prefix, name, colours, sizes, price in rng.sample(CATALOGUE, rng.choice([1, 1, 1, 2, 2, 3])):
        colour = rng.choice(colours)
        size = rng.choice(sizes) if sizes else None
        sku = "-".join(p for p in (prefix, colour.upper().replace(" ", "")[:3], size) if p)
        lines.append(NewLine(sku, name, rng.choice([1, 1, 1, 2]), Decimal(price), colour, size))
    return lines


def fulfilment_times(rng: random.Random, last: OrderStatus, at: datetime, option: str) -> dict[OrderStatus, datetime]:
    """Times of placing, paying, packing, shipping, out-for-delivery and delivery, built backwards
    from the time of the last step reached, so every step lies in the past and in order."""
    chain = [
        OrderStatus.PROCESSING,
        OrderStatus.PACKED,
        OrderStatus.SHIPPED,
        OrderStatus.OUT_FOR_DELIVERY,
        OrderStatus.DELIVERED,
    ]
    gaps = {
        OrderStatus.PROCESSING: _hours(rng, 0.1, 2),
        OrderStatus.PACKED: _hours(rng, 3, 20),
        OrderStatus.SHIPPED: _hours(rng, 2, 10),
        OrderStatus.OUT_FOR_DELIVERY: timedelta(days=rules.transit_days(option)) - _hours(rng, 4, 10),
        OrderStatus.DELIVERED: _hours(rng, 2, 7),
    }
    times: dict[OrderStatus, datetime] = {}
    current = at
    for status in reversed(chain[: chain.index(last) + 1]):
        times[status] = current
        current -= gaps[status]
    times[OrderStatus.PENDING_PAYMENT] = current  # placed_at
    return times


def plan_order(rng: random.Random, number: int, customer: CustomerPlan, scenario: str, now: datetime) -> OrderPlan:
    option = rng.choice(DELIVERY_OPTIONS)
    address = dict(customer.address)
    if rng.random() < 0.1:  # a gift to someone else: a different name, same city
        address["name"] = rng.choice(["Alex", "Sam", "Jordan", "Taylor"]) + " " + customer.name.split()[-1]
    plan = OrderPlan(number, customer, scenario, plan_lines(rng), address, option, rng.choice(PAYMENT_METHODS), now)
    status = SCENARIOS[scenario]
    if scenario == "pending_payment":
        plan.placed_at = now - _hours(rng, 0.2, 20)
    elif scenario == "payment_failed":
        plan.placed_at = now - _hours(rng, 2, 72)
        plan.steps.append((plan.placed_at + _hours(rng, 0.02, 0.2), _status(OrderStatus.PAYMENT_FAILED)))
    elif scenario == "cancelled_unpaid":
        plan.placed_at = now - _hours(rng, 6, 24 * 20)
        plan.steps.append((plan.placed_at + _hours(rng, 0.2, 5), _cancel("Ordered the wrong size by mistake")))
    elif scenario == "cancelled_paid":
        times = fulfilment_times(rng, OrderStatus.PROCESSING, now - _hours(rng, 30, 24 * 20), option)
        _add_chain(plan, times)
        cancelled = times[OrderStatus.PROCESSING] + _hours(rng, 0.5, 10)
        plan.steps.append((cancelled, _cancel("Found a better price elsewhere")))
        if cancelled + timedelta(days=2) < now:
            plan.steps.append((cancelled + timedelta(days=2), _decide_latest("refunded")))
    elif status in (OrderStatus.PROCESSING, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.OUT_FOR_DELIVERY):
        recent = {
            "processing": (1, 20),
            "processing_with_cancellation_fee": (26, 60),
            "packed": (1, 12),
            "shipped": (2, 30),
            "out_for_delivery": (0.5, 4),
        }[scenario]
        times = fulfilment_times(rng, status, now - _hours(rng, *recent), option)
        _add_chain(plan, times, eta_after=now)
    else:  # delivered, with or without a return
        days_ago = {
            "delivered_returnable": (1, 25),
            "delivered_return_window_closed": (35, 120),
            "return_requested": (3, 20),
            "return_rejected": (8, 28),
            "returned": (12, 60),
        }[scenario]
        delivered = now - timedelta(days=rng.uniform(*days_ago))
        _add_chain(plan, fulfilment_times(rng, OrderStatus.DELIVERED, delivered, option))
        if scenario in ("return_requested", "return_rejected", "returned"):
            opened = delivered + _hours(rng, 20, 48)
            reason = rng.choice(["Doesn't fit", "Not as pictured", "Arrived damaged", "Changed my mind"])
            plan.steps.append((opened, _return(reason)))
            if scenario == "return_rejected":
                plan.steps.append((opened + timedelta(days=2), _decide_latest("rejected")))
            elif scenario == "returned":
                plan.steps.append((opened + timedelta(days=2), _decide_latest("approved")))
                plan.steps.append((opened + timedelta(days=4), _decide_latest("refunded")))
    return plan


def _add_chain(plan: OrderPlan, times: dict[OrderStatus, datetime], eta_after: datetime | None = None) -> None:
    plan.placed_at = times[OrderStatus.PENDING_PAYMENT]
    for status in (
        OrderStatus.PROCESSING,
        OrderStatus.PACKED,
        OrderStatus.SHIPPED,
        OrderStatus.OUT_FOR_DELIVERY,
        OrderStatus.DELIVERED,
    ):
        if status not in times:
            continue
        if status == OrderStatus.SHIPPED:
            end = times.get(OrderStatus.OUT_FOR_DELIVERY) or times.get(OrderStatus.DELIVERED)
            eta = (end or times[status] + timedelta(days=rules.transit_days(plan.delivery_option))).date()
            if eta_after is not None and end is None and eta <= eta_after.date():
                eta = eta_after.date() + timedelta(days=1)
            plan.steps.append((times[status], _status(status, eta=eta)))
            scan = times[status] + timedelta(hours=20)
            for hub in HUBS[: rules.transit_days(plan.delivery_option)]:
                if scan >= (end or eta_after or scan):
                    break
                plan.steps.append((scan, _event(hub, f"Arrived at {hub.split(',')[0]} hub")))
                scan += timedelta(hours=22)
        else:
            plan.steps.append((times[status], _status(status)))


def _status(status: OrderStatus, **kwargs: Any) -> Callable[[OrdersService, int], Any]:
    return lambda service, number: service.set_status(number, status, ACTOR, **kwargs)


def _cancel(reason: str) -> Callable[[OrdersService, int], Any]:
    return lambda service, number: service.cancel(number, reason, "customer")


def _return(reason: str) -> Callable[[OrdersService, int], Any]:
    return lambda service, number: service.start_return(number, reason, "customer")


def _event(location: str, description: str) -> Callable[[OrdersService, int], Any]:
    async def run(service: OrdersService, number: int) -> None:
        await service.add_tracking_event(number, service.now(), location, description)

    return run


def _decide_latest(target: str) -> Callable[[OrdersService, int], Any]:
    async def run(service: OrdersService, number: int) -> None:
        refunds = (await service.refunds(number))["refunds"]
        await service.decide_refund(refunds[-1]["id"], target, "support")

    return run


def plan(seed: int, customers: int, orders: int, now: datetime) -> tuple[list[CustomerPlan], list[OrderPlan]]:
    """The whole data set as a pure function of (seed, sizes, now)."""
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    people = plan_customers(fake, rng, customers)
    numbers = rng.sample(range(100000, 1000000), orders)
    names = list(SCENARIOS)
    weighted = [name for name in names for _ in range(WEIGHTS.get(name, 1))]
    scenarios = [names[i % len(names)] for i in range(min(orders, 3 * len(names)))]
    scenarios += [rng.choice(weighted) for _ in range(orders - len(scenarios))]
    order_plans = [plan_order(rng, n, rng.choice(people), s, now) for n, s in zip(numbers, scenarios, strict=True)]
    return people, order_plans


async def apply(service: OrdersService, clock: SimClock, people: list[CustomerPlan], orders: list[OrderPlan]) -> int:
    """Creates what is missing; returns how many orders were created."""
    for person in people:
        try:
            await service.customer(person.id)
        except NotFound:
            await service.create_customer(person.id, person.name, person.email, person.postcode, person.tier, ACTOR)
    created = 0
    for order in orders:
        try:
            await service.get_order(order.number)
            continue
        except NotFound:
            pass
        clock.now = order.placed_at
        await service.create_order(
            order.number,
            order.customer.id,
            order.lines,
            order.address,
            placed_at=order.placed_at,
            delivery_option=order.delivery_option,
            payment_method=order.payment_method,
            shipping_cost=Decimal("0.00") if order.delivery_option == "standard" else Decimal("9.99"),
            actor="customer",
        )
        for at, step in sorted(order.steps, key=lambda item: item[0]):
            clock.now = at
            await step(service, order.number)
        created += 1
    return created


async def demo_index(service: OrdersService, orders: list[OrderPlan], per_key: int = 5) -> dict[str, Any]:
    statuses: dict[str, list[dict[str, str]]] = {status.value: [] for status in OrderStatus}
    scenarios: dict[str, list[dict[str, str]]] = {name: [] for name in SCENARIOS}
    for order in orders:
        data = await service.get_order(order.number)
        entry = {
            "order_number": data["order_number"],
            "email": data["email"],
            "postcode": data["shipping_address"]["postcode"],
            "customer_id": data["customer_id"],
        }
        for bucket in (statuses[data["status"]], scenarios[order.scenario]):
            if len(bucket) < per_key:
                bucket.append(entry)
    return {"statuses": statuses, "scenarios": scenarios}


async def seed(db_url: str, customers: int, orders: int, seed_value: int, out: Path, now: datetime) -> dict[str, Any]:
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        clock = SimClock(now)
        service = OrdersService(make_sessions(engine), clock)
        people, order_plans = plan(seed_value, customers, orders, now)
        created = await apply(service, clock, people, order_plans)
        clock.now = utcnow()
        index = await demo_index(service, order_plans)
    finally:
        await engine.dispose()
    index = {"seed": seed_value, "customers": customers, "orders": orders, **index}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(index, indent=2) + "\n")
    logger.info("seeded %d new orders (%d planned) into %s; index in %s", created, orders, db_url, out)
    return {"created": created, **index}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("ORDERS_DB_URL", DEFAULT_DB_URL))
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--orders", type=int, default=150)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("ASSISTANT_VAR", "var")) / "demo-orders.json")
    parser.add_argument("--now", type=datetime.fromisoformat, default=None, help="pin 'now' (UTC, ISO 8601)")
    args = parser.parse_args(argv)
    if args.customers < 1 or args.orders < 1:
        parser.error("--customers and --orders must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    now = args.now.replace(tzinfo=None) if args.now else utcnow()
    result = asyncio.run(seed(args.db, args.customers, args.orders, args.seed, args.out, now))
    print(f"{result['created']} orders created ({args.orders} planned, seed {args.seed}); index: {args.out}")


if __name__ == "__main__":
    main()
