"""Retention operations on the database: events in, scores and offers out, the report. Returns
JSON-ready dicts. Scores are written by the nightly re-scoring (rescore.py), never per request."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backends.retention.errors import Invalid, NotFound, Refused
from backends.retention.features import Event
from backends.retention.settings import Settings
from backends.retention.tables import CustomerEvent, RetentionOffer, RiskScore
from backends.retention.tiers import TIERS

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
CENT = Decimal("0.01")
FOLLOW_UP = "follow_up"  # the medium tier's personal recommendation (capped per customer)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def when(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


def money(value: Decimal | float) -> str:
    return f"{Decimal(str(value)).quantize(CENT):.2f}"


def parse_time(value: str, field: str = "at") -> datetime:
    """ISO 8601 in, naive UTC out (a date alone means midnight UTC)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    except (ValueError, OverflowError):
        hint = "an ISO 8601 time like 2026-08-31T23:59:00Z"
        raise Invalid(f"{field} must be {hint}.", fields={field: hint}) from None


def score_json(row: RiskScore) -> dict[str, Any]:
    return {
        "customer_id": row.customer_id,
        "risk": round(row.risk, 4),
        "tier": row.tier,
        "value": money(row.value),
        "reasons": list(row.reasons),
        "scored_at": when(row.scored_at),
        "model": row.model,
    }


def offer_json(row: RetentionOffer) -> dict[str, Any]:
    return {
        "offer_id": row.id,
        "customer_id": row.customer_id,
        "at": when(row.at),
        "kind": row.kind,
        "cost": money(row.cost),
        "tier": row.tier,
    }


class RetentionService:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], settings: Settings | None = None, clock: Clock = utcnow
    ) -> None:
        self._sessions = sessions
        self._settings = settings or Settings()
        self._clock = clock

    async def ping(self) -> str:
        async with self._sessions() as session:
            await session.execute(select(1))
            return session.get_bind().dialect.name

    async def record_events(self, events: Iterable[Event]) -> dict[str, Any]:
        rows = [
            CustomerEvent(customer_id=e.customer_id, at=e.at, kind=e.kind, amount=Decimal(str(e.amount)).quantize(CENT))
            for e in events
        ]
        async with self._sessions.begin() as session:
            session.add_all(rows)
        return {"recorded": len(rows)}

    async def events(self) -> list[Event]:
        async with self._sessions() as session:
            rows = await session.scalars(select(CustomerEvent).order_by(CustomerEvent.at, CustomerEvent.id))
            return [Event(r.customer_id, r.at, r.kind, float(r.amount)) for r in rows]

    async def replace_scores(self, scores: Iterable[RiskScore]) -> int:
        """One transaction: readers see the old scores or the new ones, never a mix."""
        rows = list(scores)
        async with self._sessions.begin() as session:
            await session.execute(delete(RiskScore))
            session.add_all(rows)
        return len(rows)

    async def risk(self, customer_id: str) -> dict[str, Any]:
        async with self._sessions() as session:
            row = await session.get(RiskScore, customer_id)
            if row is None:
                raise NotFound(f"Customer {customer_id} has no churn score yet.", code="not_scored")
            return score_json(row)

    async def record_offer(self, customer_id: str, kind: str, cost: Decimal) -> dict[str, Any]:
        """Records an offer for the report. A `follow_up` is also the frequency cap: refused (409
        `follow_up_capped`) while the customer's last one is younger than RETENTION_FOLLOW_UP_CAP_DAYS,
        so the check and the record are one transaction in the one place every action server asks."""
        async with self._sessions.begin() as session:
            score = await session.get(RiskScore, customer_id, with_for_update=True)  # one follow-up at a time
            if score is None:
                raise NotFound(f"Customer {customer_id} has no churn score yet.", code="not_scored")
            if kind == FOLLOW_UP:
                await self._check_follow_up_cap(session, customer_id)
            row = RetentionOffer(
                customer_id=customer_id,
                at=self._clock(),
                kind=kind,
                cost=cost.quantize(CENT),
                tier=score.tier,
                risk=score.risk,
                value=score.value,
            )
            session.add(row)
            await session.flush()
            logger.info("retention offer %s for %s (%s tier): %s", kind, customer_id, row.tier, money(cost))
            return offer_json(row)

    async def _check_follow_up_cap(self, session: AsyncSession, customer_id: str) -> None:
        since = self._clock() - timedelta(days=self._settings.follow_up_cap_days)
        last = await session.scalar(
            select(func.max(RetentionOffer.at)).where(
                RetentionOffer.customer_id == customer_id, RetentionOffer.kind == FOLLOW_UP, RetentionOffer.at > since
            )
        )
        if last is not None:
            raise Refused(
                f"Customer {customer_id} had a follow-up on {last:%Y-%m-%d}; at most one per "
                f"{self._settings.follow_up_cap_days:g} days.",
                code="follow_up_capped",
            )

    async def report(self) -> dict[str, Any]:
        """Customers per tier with their value at risk; offers made, what they cost and the value they
        are expected to save: Σ risk × value × the assumed uplift of an offer (RETENTION_OFFER_UPLIFT)."""
        uplift = Decimal(str(self._settings.offer_uplift))
        async with self._sessions() as session:
            per_tier = {
                tier: (count, Decimal(str(at_risk or 0)))
                for tier, count, at_risk in await session.execute(
                    select(RiskScore.tier, func.count(), func.sum(RiskScore.risk * RiskScore.value)).group_by(
                        RiskScore.tier
                    )
                )
            }
            offers = (
                await session.execute(
                    select(
                        RetentionOffer.tier,
                        func.count(),
                        func.sum(RetentionOffer.cost),
                        func.sum(RetentionOffer.risk * RetentionOffer.value),
                    ).group_by(RetentionOffer.tier)
                )
            ).all()
            latest = await session.scalar(select(func.max(RiskScore.scored_at)))
        made = {tier: (count, Decimal(str(cost or 0)), Decimal(str(stake or 0))) for tier, count, cost, stake in offers}
        tiers: list[dict[str, Any]] = []
        total_offers, total_cost, total_saved = 0, Decimal(0), Decimal(0)
        for tier in TIERS:
            count, at_risk = per_tier.get(tier, (0, Decimal(0)))
            offered, cost, stake = made.get(tier, (0, Decimal(0), Decimal(0)))
            saved = (stake * uplift).quantize(CENT)
            total_offers, total_cost, total_saved = total_offers + offered, total_cost + cost, total_saved + saved
            tiers.append(
                {
                    "tier": tier,
                    "customers": count,
                    "value_at_risk": money(at_risk),
                    "offers": offered,
                    "offer_cost": money(cost),
                    "expected_value_saved": money(saved),
                }
            )
        return {
            "scored_at": None if latest is None else when(latest),
            "offer_uplift": float(uplift),
            "tiers": tiers,
            "offers": total_offers,
            "offer_cost": money(total_cost),
            "expected_value_saved": money(total_saved),
        }
