"""A valuable customer likely to leave (the retention backend's `high` tier) is served sooner."""

from __future__ import annotations

import pytest

from handoff.priority import PriorityRules
from tests.handoff.handoff_support import Desk

RULES = PriorityRules()
SMALL_ORDER = {"number": "1", "total": "20.00"}


@pytest.mark.parametrize(
    ("tier", "expected"),
    [("high", 3), ("medium", 2), ("low", 2), (None, 2)],
)
def test_high_tier_adds_one_level(tier: str | None, expected: int) -> None:
    assert RULES.priority(0.6, SMALL_ORDER, tier) == expected


def test_priority_never_exceeds_urgent_and_tiers_are_configurable() -> None:
    assert RULES.priority(0.9, {"number": "1", "total": "900"}, "high") == 4
    assert PriorityRules(retention_tiers=frozenset()).priority(0.6, SMALL_ORDER, "high") == 2


async def test_the_desk_queues_a_high_risk_customer_first(desk: Desk) -> None:
    calm = await desk.handoff("conv-low", customer={"id": "C1", "retention_tier": "low"})
    leaving = await desk.handoff("conv-high", customer={"id": "C2", "retention_tier": "high"})
    assert leaving["queue_position"] == 1
    store = desk.service.store
    low_ticket = await store.ticket(calm["ticket_id"], with_messages=False)
    high_ticket = await store.ticket(leaving["ticket_id"], with_messages=False)
    assert (low_ticket["priority"], high_ticket["priority"]) == (2, 3)
    assert high_ticket["customer"]["retention_tier"] == "high"
