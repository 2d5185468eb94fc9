"""The retention backend's part of a data-subject request: the events, the churn score and the
retention offers of one customer, found by customer id.

Events and the score describe the shopper (their behaviour, a prediction about them) and are deleted.
Offers are money the shop spent (the retention report's cost): kept under a random customer id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backends.retention.tables import CustomerEvent, RetentionOffer, RiskScore
from contracts.privacy import Subject
from service_kit.db import rows_changed
from service_kit.privacy import Erasure, pseudonym, row_json


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    ids = subject.customer_ids
    events = select(CustomerEvent).where(CustomerEvent.customer_id.in_(ids)).order_by(CustomerEvent.at)
    offers = select(RetentionOffer).where(RetentionOffer.customer_id.in_(ids)).order_by(RetentionOffer.id)
    return {
        "matched_by": "customer id",
        "events": [row_json(r) for r in await session.scalars(events)],
        "churn_scores": [
            row_json(r) for r in await session.scalars(select(RiskScore).where(RiskScore.customer_id.in_(ids)))
        ],
        "retention_offers": [row_json(r) for r in await session.scalars(offers)],
    }


async def erase(session: AsyncSession, subject: Subject) -> Erasure:
    done = Erasure()
    ids = subject.customer_ids
    done.delete("events", await rows_changed(session, delete(CustomerEvent).where(CustomerEvent.customer_id.in_(ids))))
    done.delete("churn_scores", await rows_changed(session, delete(RiskScore).where(RiskScore.customer_id.in_(ids))))
    for customer_id in sorted(ids):
        statement = (
            update(RetentionOffer).where(RetentionOffer.customer_id == customer_id).values(customer_id=pseudonym())
        )
        done.anonymise("retention_offers", await rows_changed(session, statement))
    return done
