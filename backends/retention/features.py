"""Churn features of one customer at a cut time, from the events the stack stores.

Pure functions over plain events, shared by the nightly re-scoring and the offline benchmark so the
model is evaluated on exactly the features it is served with. Purchases, returns and refunds come from
orders; conversations, frustration, hand-offs and unanswered questions are what only a support assistant
sees. A purchase-only history (the Online Retail set) leaves the support features at zero.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

PURCHASE = "purchase"
RETURN = "return"
REFUND = "refund"
CONVERSATION = "conversation"
FRUSTRATION = "frustration"
HANDOFF = "handoff"
UNANSWERED = "unanswered"
KINDS = (PURCHASE, RETURN, REFUND, CONVERSATION, FRUSTRATION, HANDOFF, UNANSWERED)
SUPPORT_KINDS = (CONVERSATION, FRUSTRATION, HANDOFF, UNANSWERED)
SUPPORT_WINDOW = timedelta(days=180)
RECENT = timedelta(days=90)
NO_HISTORY_DAYS = 3650.0  # recency of a customer who never bought: "very long ago", not infinity


@dataclass(frozen=True)
class Event:
    """One thing that happened to a customer; `amount` is money for purchases, returns and refunds."""

    customer_id: str
    at: datetime
    kind: str
    amount: float = 0.0


# Feature names in model order, with the plain words a reason is shown in (what a *high* value means).
FEATURES: dict[str, str] = {
    "recency_days": "a long time since the last purchase",
    "frequency": "number of orders",
    "monetary": "total spend",
    "tenure_days": "time as a customer",
    "mean_interval_days": "usual time between orders",
    "overdue_ratio": "the next order is overdue for this customer's rhythm",
    "last_interval_days": "a long gap between the last two orders",
    "orders_30d": "orders in the last 30 days",
    "orders_90d": "orders in the last 90 days",
    "orders_prior_90d": "orders in the 90 days before those",
    "orders_365d": "orders in the last year",
    "active_months_365d": "months with an order in the last year",
    "spend_90d": "spend in the last 90 days",
    "avg_order_value": "average order value",
    "returns": "returned orders",
    "refund_value": "money refunded",
    "conversations_180d": "support conversations",
    "frustration_180d": "times upset with support",
    "handoffs_180d": "hand-offs to a person",
    "unanswered_180d": "questions the assistant could not answer",
}
# Reasons for risk are said the other way round when a low value raises it.
LOW_VALUE_WORDS: dict[str, str] = {
    "frequency": "few orders so far",
    "monetary": "little spent so far",
    "tenure_days": "a new customer",
    "orders_30d": "no orders in the last 30 days",
    "orders_90d": "no orders in the last 90 days",
    "orders_365d": "few orders in the last year",
    "active_months_365d": "few months with an order in the last year",
    "spend_90d": "little spent in the last 90 days",
    "avg_order_value": "small orders",
}


def names() -> list[str]:
    return list(FEATURES)


def group_by_customer(events: Iterable[Event]) -> dict[str, list[Event]]:
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        grouped[event.customer_id].append(event)
    return grouped


def customer_features(events: Iterable[Event], cut: datetime) -> dict[str, float]:
    """The features of one customer's events strictly before `cut` (later events are the future)."""
    past = sorted((e for e in events if e.at < cut), key=lambda e: e.at)
    buys = [e for e in past if e.kind == PURCHASE]
    days = [(cut - e.at).total_seconds() / 86400 for e in buys]
    intervals = [(b.at - a.at).total_seconds() / 86400 for a, b in itertools.pairwise(buys)]
    recency = min(days) if days else NO_HISTORY_DAYS
    mean_interval = sum(intervals) / len(intervals) if intervals else 0.0
    spend = sum(e.amount for e in buys)
    recent = [e for e in buys if cut - e.at <= RECENT]

    def orders_between(newest: timedelta, oldest: timedelta) -> float:
        return float(sum(newest < cut - e.at <= oldest for e in buys))

    year = [e for e in buys if cut - e.at <= timedelta(days=365)]
    support = [e for e in past if e.kind in SUPPORT_KINDS and cut - e.at <= SUPPORT_WINDOW]
    return {
        "recency_days": recency,
        "frequency": float(len(buys)),
        "monetary": spend,
        "tenure_days": max(days) if days else 0.0,
        "mean_interval_days": mean_interval,
        # Days since the last order over the usual gap; a one-order customer has no rhythm yet (0).
        "overdue_ratio": recency / mean_interval if mean_interval > 0 else 0.0,
        "last_interval_days": intervals[-1] if intervals else 0.0,
        "orders_30d": orders_between(timedelta(0), timedelta(days=30)),
        "orders_90d": float(len(recent)),
        "orders_prior_90d": orders_between(RECENT, 2 * RECENT),
        "orders_365d": float(len(year)),
        "active_months_365d": float(len({(e.at.year, e.at.month) for e in year})),
        "spend_90d": sum(e.amount for e in recent),
        "avg_order_value": spend / len(buys) if buys else 0.0,
        "returns": float(sum(e.kind == RETURN for e in past)),
        "refund_value": sum(abs(e.amount) for e in past if e.kind in (RETURN, REFUND)),
        "conversations_180d": float(sum(e.kind == CONVERSATION for e in support)),
        "frustration_180d": float(sum(e.kind == FRUSTRATION for e in support)),
        "handoffs_180d": float(sum(e.kind == HANDOFF for e in support)),
        "unanswered_180d": float(sum(e.kind == UNANSWERED for e in support)),
    }


def churned(events: Iterable[Event], cut: datetime, horizon: timedelta = RECENT) -> bool:
    """The label: no purchase in the `horizon` after the cut."""
    return not any(e.kind == PURCHASE and cut <= e.at < cut + horizon for e in events)


def value_at_stake(features: dict[str, float], horizon_days: float = 365.0) -> float:
    """What a year of this customer is worth at their past pace: spend per day of tenure × a year.
    Customers with under 30 days of history are judged on 30 days, so one order is not a year's pace."""
    tenure = max(features["tenure_days"], 30.0)
    return round(features["monetary"] / tenure * horizon_days, 2) if math.isfinite(tenure) else 0.0


def training_cuts(latest: datetime, count: int = 4, step: timedelta = timedelta(days=30)) -> list[datetime]:
    """Cuts whose outcome is known by `latest + horizon`: `latest`, then one `step` earlier each.
    Several cuts give several snapshots of the same customers at different points in their history."""
    return [latest - i * step for i in range(count)]


def labelled_snapshots(
    grouped: dict[str, list[Event]], cuts: Iterable[datetime]
) -> tuple[list[dict[str, float]], list[bool]]:
    """(features, churned) of every customer active at each cut, all cuts stacked."""
    rows: list[dict[str, float]] = []
    labels: list[bool] = []
    for cut in cuts:
        for customer in active_customers(grouped, cut):
            rows.append(customer_features(grouped[customer], cut))
            labels.append(churned(grouped[customer], cut))
    return rows, labels


def active_customers(grouped: dict[str, list[Event]], cut: datetime) -> list[str]:
    """Customers with at least one purchase before the cut: churn is only defined for them."""
    return sorted(c for c, evs in grouped.items() if any(e.kind == PURCHASE and e.at < cut for e in evs))
