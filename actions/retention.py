"""Churn risk in the conversation: a valuable customer likely to leave gets a larger goodwill offer
and a faster person. The retention backend is a nice-to-have here: down, slow or without a score for
the customer, everything happens as for any other customer, with a log line saying why."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from actions import backend
from service_clients.pricing import GoodwillBudget
from service_clients.retention import CustomerRisk, RetentionUnavailable

logger = logging.getLogger(__name__)

# A high-risk customer's offer is this share of the year's value at stake, at least the budget's
# default and at most what the budget allows one customer: the pricing backend has the last word.
STAKE_SHARE = Decimal("0.01")
CENT = Decimal("0.01")


async def customer_risk(customer_id: str | None) -> CustomerRisk | None:
    if customer_id is None:
        return None
    try:
        return await backend.retention_client().risk(customer_id)
    except RetentionUnavailable as error:
        logger.warning("churn risk of %s unknown, retention backend unavailable: %s", customer_id, error)
        return None


def goodwill_amount(risk: CustomerRisk | None, budget: GoodwillBudget | None) -> Decimal | None:
    """The amount to ask the pricing backend for, or None for its default (not high risk, or no budget)."""
    if risk is None or not risk.high or budget is None or not budget.enabled:
        return None
    sized = (risk.value * STAKE_SHARE).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(max(sized, budget.default_amount), budget.per_customer_budget)


async def record_signal(customer_id: str | None, kind: str) -> None:
    """A support signal of a known customer (`frustration` when the assistant de-escalates, `handoff`
    when it passes them to a person): what only the assistant knows, for the nightly re-scoring."""
    if customer_id is None:
        return
    try:
        await backend.retention_client().record_event(customer_id, kind, datetime.now(UTC))
    except RetentionUnavailable as error:
        logger.warning("%s of %s not recorded for churn scoring: %s", kind, customer_id, error)


async def record_offer(risk: CustomerRisk | None, amount: Decimal) -> None:
    """Tells the retention backend an offer was made, for its report; best effort."""
    if risk is None:
        return
    try:
        await backend.retention_client().record_offer(risk.customer_id, "goodwill", amount)
    except RetentionUnavailable as error:
        logger.warning("goodwill offer to %s not in the retention report: %s", risk.customer_id, error)
