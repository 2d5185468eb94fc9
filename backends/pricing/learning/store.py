"""The learner's state in the pricing database: posteriors per arm, the current offer per arm set,
and one outcome per quote. Called inside the quote's (or the outcome's) transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backends.pricing.db import insert_missing
from backends.pricing.learning.bandit import Arm, CurrentOffer, Offer, prior_arms
from backends.pricing.learning.outcomes import PendingQuote
from backends.pricing.learning.settings import LearnerSettings
from backends.pricing.models import LearnerArm, LearnerOffer, LearnerOutcome, QuoteAudit
from contracts.consent import CONSENT_KEY

ARM_KEYS = ["product_group", "segment", "discount"]


@dataclass(frozen=True)
class ArmSet:
    product_group: str
    segment: str

    def as_json(self) -> dict[str, str]:
        return {"product_group": self.product_group, "segment": self.segment}


async def lock_offer(session: AsyncSession, arm_set: ArmSet) -> LearnerOffer:
    """The arm set's current offer (none yet: 0 %, never moved), locked for this transaction so two
    quotes cannot both move it."""
    keys = arm_set.as_json()
    placeholder = {**keys, "discount": Decimal(0), "changed_at": None}
    await insert_missing(session, LearnerOffer, [placeholder], ["product_group", "segment"])
    row = await session.get(
        LearnerOffer, (arm_set.product_group, arm_set.segment), with_for_update=True, populate_existing=True
    )
    if row is None:
        row = LearnerOffer(**placeholder)
        session.add(row)
    return row


async def load_arms(session: AsyncSession, arm_set: ArmSet, settings: LearnerSettings) -> list[Arm]:
    """The arm set's posteriors; arms never seen start at the elasticity prior."""
    priors = prior_arms(
        settings.arms, settings.elasticity_of(arm_set.product_group), settings.base_chance, settings.prior_strength
    )
    rows = [{**arm_set.as_json(), "discount": a.discount, "alpha": a.alpha, "beta": a.beta} for a in priors]
    rows = [{**row, "offers": 0, "purchases": 0} for row in rows]
    if not await insert_missing(session, LearnerArm, rows, ARM_KEYS):
        for row in rows:
            if await session.get(LearnerArm, (row["product_group"], row["segment"], row["discount"])) is None:
                session.add(LearnerArm(**row))
        await session.flush()
    stored = {
        r.discount: r
        for r in await session.scalars(
            select(LearnerArm).where(
                LearnerArm.product_group == arm_set.product_group, LearnerArm.segment == arm_set.segment
            )
        )
    }
    return [
        Arm(r.discount, r.alpha, r.beta, r.offers, r.purchases)
        for r in (stored[a.discount] for a in priors if a.discount in stored)
    ]


def current_offer(row: LearnerOffer) -> CurrentOffer:
    return CurrentOffer(row.discount, row.changed_at)


async def record_offer(session: AsyncSession, arm_set: ArmSet, row: LearnerOffer, offer: Offer, now: datetime) -> None:
    """Counts the offer on its arm and moves the arm set's current offer if it changed."""
    if offer.moved:
        row.discount, row.changed_at = offer.discount, now
    await session.execute(
        update(LearnerArm)
        .where(*_arm_is(arm_set, offer.discount))
        .values(offers=LearnerArm.offers + 1)
        .execution_options(synchronize_session=False)
    )


async def record_outcome(
    session: AsyncSession, quote_id: int, arm_set: ArmSet, discount: Decimal, bought: bool, now: datetime
) -> LearnerArm | None:
    """Adds one outcome to the arm's posterior (an atomic increment). The caller has checked that the
    quote has no outcome yet; the primary key on quote_id stops a concurrent second one."""
    session.add(LearnerOutcome(quote_id=quote_id, bought=bought, at=now))
    await session.flush()
    await session.execute(
        update(LearnerArm)
        .where(*_arm_is(arm_set, discount))
        .values(
            alpha=LearnerArm.alpha + (1 if bought else 0),
            beta=LearnerArm.beta + (0 if bought else 1),
            purchases=LearnerArm.purchases + (1 if bought else 0),
        )
        .execution_options(synchronize_session=False)
    )
    return await session.get(LearnerArm, (arm_set.product_group, arm_set.segment, discount), populate_existing=True)


async def pending_quotes(session: AsyncSession, since: datetime) -> list[PendingQuote]:
    """Quotes since `since` with a customer id, a learned offer and no outcome yet, oldest first.
    Guests' quotes are left out: no order can be tied to them (learning/outcomes.py); so are those of
    customers who did not consent to personalisation: their orders are not read to learn prices. The learned
    offer is a key inside the audit's JSON, filtered here rather than in SQL (SQLite and PostgreSQL
    spell JSON paths differently); `since` keeps the scan to the last days."""
    rows = await session.execute(
        select(QuoteAudit.id, QuoteAudit.customer_id, QuoteAudit.at, QuoteAudit.inputs)
        .outerjoin(LearnerOutcome, LearnerOutcome.quote_id == QuoteAudit.id)
        .where(QuoteAudit.at >= since, QuoteAudit.customer_id.is_not(None), LearnerOutcome.quote_id.is_(None))
        .order_by(QuoteAudit.at, QuoteAudit.id)
    )
    return [
        PendingQuote(quote_id, customer_id, (inputs or {}).get("sku"), at)
        for quote_id, customer_id, at, inputs in rows
        if (inputs or {}).get("learner") and (inputs or {}).get(CONSENT_KEY) is True
    ]


async def list_arms(session: AsyncSession, product_group: str | None, segment: str | None) -> list[dict[str, Any]]:
    query = select(LearnerArm).order_by(LearnerArm.product_group, LearnerArm.segment, LearnerArm.discount)
    if product_group:
        query = query.where(LearnerArm.product_group == product_group)
    if segment:
        query = query.where(LearnerArm.segment == segment)
    return [arm_json(r) for r in await session.scalars(query)]


def arm_json(row: LearnerArm) -> dict[str, Any]:
    arm = Arm(row.discount, row.alpha, row.beta, row.offers, row.purchases)
    return {
        "product_group": row.product_group,
        "segment": row.segment,
        "discount": float(row.discount),
        "alpha": round(row.alpha, 4),
        "beta": round(row.beta, 4),
        "mean": round(arm.mean, 4),
        "sd": round(arm.sd, 4),
        "offers": row.offers,
        "purchases": row.purchases,
    }


def _arm_is(arm_set: ArmSet, discount: Decimal) -> tuple[Any, ...]:
    return (
        LearnerArm.product_group == arm_set.product_group,
        LearnerArm.segment == arm_set.segment,
        LearnerArm.discount == discount,
    )
