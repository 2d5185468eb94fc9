"""The pricing backend's part of a data-subject request: tier, personal coupons, redemptions, goodwill
offers and the quote audit of one customer.

Redemptions, personal coupons and goodwill offers are money the shop gave (a discount on an invoice,
the goodwill budget): kept for accounting under a random customer id, the offer's free-text reason
erased. The tier and the quote audit only served pricing and are deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backends.pricing.models import Coupon, CustomerTier, GoodwillOffer, QuoteAudit, Redemption
from contracts.privacy import ERASED, Subject
from service_kit.db import rows_changed
from service_kit.privacy import Erasure, pseudonym, row_json


async def export(session: AsyncSession, subject: Subject) -> dict[str, Any]:
    ids = subject.customer_ids
    return {
        "matched_by": "customer id",
        "customer_tiers": [
            row_json(r) for r in await session.scalars(select(CustomerTier).where(CustomerTier.customer_id.in_(ids)))
        ],
        "personal_coupons": [
            row_json(r) for r in await session.scalars(select(Coupon).where(Coupon.customer_id.in_(ids)))
        ],
        "coupon_redemptions": [
            row_json(r) for r in await session.scalars(select(Redemption).where(Redemption.customer_id.in_(ids)))
        ],
        "goodwill_offers": [
            row_json(r) for r in await session.scalars(select(GoodwillOffer).where(GoodwillOffer.customer_id.in_(ids)))
        ],
        "quote_audit": [
            row_json(r)
            for r in await session.scalars(
                select(QuoteAudit).where(QuoteAudit.customer_id.in_(ids)).order_by(QuoteAudit.id)
            )
        ],
    }


async def erase(session: AsyncSession, subject: Subject) -> Erasure:
    done = Erasure()
    for customer_id in sorted(subject.customer_ids):
        stand_in = pseudonym()
        for table, statement in (
            ("personal_coupons", update(Coupon).where(Coupon.customer_id == customer_id).values(customer_id=stand_in)),
            (
                "coupon_redemptions",
                update(Redemption).where(Redemption.customer_id == customer_id).values(customer_id=stand_in),
            ),
            (
                "goodwill_offers",
                update(GoodwillOffer)
                .where(GoodwillOffer.customer_id == customer_id)
                .values(customer_id=stand_in, reason=ERASED),
            ),
        ):
            done.anonymise(table, await rows_changed(session, statement))
    for table, deletion in (
        ("customer_tiers", delete(CustomerTier).where(CustomerTier.customer_id.in_(subject.customer_ids))),
        ("quote_audit", delete(QuoteAudit).where(QuoteAudit.customer_id.in_(subject.customer_ids))),
    ):
        done.delete(table, await rows_changed(session, deletion))
    return done
