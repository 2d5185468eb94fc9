"""Churn features and labels of backends/retention/features.py, on small hand-made histories."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from backends.retention import features as feat

CUT = datetime(2026, 6, 1)


def days_before(days: float) -> datetime:
    return CUT - timedelta(days=days)


def buy(days: float, amount: float = 50.0, customer: str = "c1") -> feat.Event:
    return feat.Event(customer, days_before(days), feat.PURCHASE, amount)


def test_recency_frequency_value_and_intervals() -> None:
    events = [buy(100, 30.0), buy(60, 50.0), buy(20, 70.0)]
    row = feat.customer_features(events, CUT)
    assert row["recency_days"] == 20
    assert row["frequency"] == 3
    assert row["monetary"] == 150.0
    assert row["tenure_days"] == 100
    assert row["mean_interval_days"] == 40
    assert row["last_interval_days"] == 40
    assert row["overdue_ratio"] == pytest.approx(0.5)
    assert row["orders_90d"] == 2 and row["orders_30d"] == 1 and row["orders_prior_90d"] == 1
    assert row["spend_90d"] == 120.0
    assert row["avg_order_value"] == 50.0
    assert row["active_months_365d"] == 3


def test_events_at_or_after_the_cut_are_the_future() -> None:
    events = [buy(10), feat.Event("c1", CUT, feat.PURCHASE, 999.0), feat.Event("c1", CUT, feat.FRUSTRATION)]
    row = feat.customer_features(events, CUT)
    assert row["frequency"] == 1 and row["monetary"] == 50.0 and row["frustration_180d"] == 0


def test_returns_refunds_and_support_signals() -> None:
    events = [
        buy(50),
        feat.Event("c1", days_before(40), feat.RETURN, -20.0),
        feat.Event("c1", days_before(30), feat.REFUND, 15.0),
        feat.Event("c1", days_before(10), feat.CONVERSATION),
        feat.Event("c1", days_before(10), feat.FRUSTRATION),
        feat.Event("c1", days_before(9), feat.FRUSTRATION),
        feat.Event("c1", days_before(9), feat.HANDOFF),
        feat.Event("c1", days_before(8), feat.UNANSWERED),
        feat.Event("c1", days_before(400), feat.FRUSTRATION),  # outside the support window
    ]
    row = feat.customer_features(events, CUT)
    assert row["returns"] == 1 and row["refund_value"] == 35.0
    assert (row["conversations_180d"], row["frustration_180d"], row["handoffs_180d"], row["unanswered_180d"]) == (
        1,
        2,
        1,
        1,
    )


def test_a_purchase_only_history_has_zero_support_features() -> None:
    row = feat.customer_features([buy(5), buy(80)], CUT)
    assert all(
        row[name] == 0 for name in ("conversations_180d", "frustration_180d", "handoffs_180d", "unanswered_180d")
    )


def test_no_purchase_and_one_purchase_histories_are_finite() -> None:
    empty = feat.customer_features([], CUT)
    assert empty["recency_days"] == feat.NO_HISTORY_DAYS and empty["frequency"] == 0
    single = feat.customer_features([buy(30)], CUT)
    assert single["mean_interval_days"] == 0 and single["overdue_ratio"] == 0
    assert list(single) == feat.names()


def test_churn_label_looks_only_at_the_horizon_after_the_cut() -> None:
    assert feat.churned([buy(5)], CUT)
    assert not feat.churned([buy(5), buy(-30)], CUT)  # bought 30 days after the cut
    assert feat.churned([buy(5), buy(-95)], CUT)  # bought, but after the 90 days


def test_labelled_snapshots_stack_active_customers_of_every_cut() -> None:
    grouped = feat.group_by_customer([buy(200, customer="old"), buy(100, customer="old"), buy(20, customer="new")])
    cuts = feat.training_cuts(CUT - timedelta(days=90), count=2)
    assert cuts == [CUT - timedelta(days=90), CUT - timedelta(days=120)]
    rows, labels = feat.labelled_snapshots(grouped, cuts)
    # "new" first bought after both cuts; "old" is active at both, bought within 90 days after the older one.
    assert len(rows) == 2 and labels == [True, False]


def test_value_at_stake_is_a_year_at_the_customers_pace() -> None:
    row = feat.customer_features([buy(365, 100.0), buy(5, 100.0)], CUT)
    assert feat.value_at_stake(row) == 200.0
    fresh = feat.customer_features([buy(1, 30.0)], CUT)
    assert feat.value_at_stake(fresh) == round(30.0 / 30 * 365, 2)  # judged on at least 30 days
