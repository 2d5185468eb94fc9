"""Pricing operations on the database: loads the rules, calls the pure decision in rules.py, writes
the audit row, and manages rules, coupons and goodwill. Returns JSON-ready dicts."""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backends.pricing import fairness, rules
from backends.pricing.db import insert_missing
from backends.pricing.errors import Invalid, NotFound, Refused
from backends.pricing.learning import segments
from backends.pricing.learning import store as learner_store
from backends.pricing.learning.bandit import OfferPicker
from backends.pricing.learning.outcomes import PendingQuote
from backends.pricing.learning.segments import product_group, segment_of
from backends.pricing.learning.settings import LearnerSettings
from backends.pricing.models import (
    Coupon,
    CustomerTier,
    GoodwillBudget,
    GoodwillOffer,
    Guardrail,
    LearnerOffer,
    LearnerOutcome,
    QuoteAudit,
    Redemption,
    Sale,
    ShelfPrice,
    StockRule,
    TierDiscount,
)
from contracts.consent import CONSENT_KEY
from service_kit.db import rows_changed

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
DEFAULT_GUARDRAIL = "default"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read out to people


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{rules.cents(value):.2f}"


def when(value: datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def parse_time(value: str, field: str = "time") -> datetime:
    """ISO 8601 in, naive UTC out (a date alone means midnight UTC)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            f"{field} must be an ISO 8601 time like 2025-08-31T23:59:00Z.", fields={field: "not ISO 8601"}
        ) from None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # "0001-01-01T00:00+01:00" is before the first representable UTC time
            raise Invalid(f"{field} is out of range.", fields={field: "out of range"}) from None
    return parsed


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def sale_json(row: Sale) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "value": float(row.value),
        "scope": row.scope,
        "target": row.target,
        "starts_at": when(row.starts_at),
        "ends_at": when(row.ends_at),
    }


def stock_rule_json(row: StockRule) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "min_stock": row.min_stock,
        "max_stock": row.max_stock,
        "effect": row.effect,
        "percent": _percent(row.percent),
    }


def coupon_json(row: Coupon) -> dict[str, Any]:
    return {
        "code": row.code,
        "kind": row.kind,
        "value": float(row.value),
        "valid_from": when(row.valid_from),
        "valid_to": when(row.valid_to),
        "max_uses": row.max_uses,
        "max_uses_per_customer": row.max_uses_per_customer,
        "min_order_value": money(row.min_order_value),
        "customer_id": row.customer_id,
        "uses": row.uses,
    }


def guardrail_json(row: Guardrail) -> dict[str, Any]:
    return {
        "key": row.key,
        "floor_price": money(row.floor_price),
        "ceiling_price": money(row.ceiling_price),
        "max_daily_change_percent": _percent(row.max_daily_change_percent),
        "min_change_interval_minutes": row.min_change_interval_minutes,
    }


def budget_json(row: GoodwillBudget) -> dict[str, Any]:
    return {
        "daily_budget": money(row.daily_budget),
        "per_customer_budget": money(row.per_customer_budget),
        "per_customer_window_days": row.per_customer_window_days,
        "default_amount": money(row.default_amount),
        "valid_days": row.valid_days,
        "enabled": row.enabled,
    }


def coupon_spec(row: Coupon) -> rules.CouponSpec:
    return rules.CouponSpec(
        code=row.code,
        kind=row.kind,
        value=row.value,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        max_uses=row.max_uses,
        max_uses_per_customer=row.max_uses_per_customer,
        min_order_value=row.min_order_value,
        customer_id=row.customer_id,
        uses=row.uses,
    )


def limits_of(row: Guardrail | None) -> rules.Limits:
    if row is None:
        return rules.Limits()
    return rules.Limits(
        floor_price=row.floor_price,
        ceiling_price=row.ceiling_price,
        max_daily_change_percent=row.max_daily_change_percent,
        min_change_interval_minutes=row.min_change_interval_minutes,
    )


def normalise_code(code: str) -> str:
    return code.strip().upper()


class PricingService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = utcnow,
        learner: LearnerSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._learner = learner or LearnerSettings()
        # Thompson sampling's draws; tests and the benchmark pass a seeded generator.
        self._rng = rng or random.Random()

    async def ping(self) -> str:
        async with self._sessions() as session:
            await session.execute(select(1))
            return session.get_bind().dialect.name

    # -- quotes ---------------------------------------------------------------------------------

    async def quote(self, request: rules.QuoteRequest, coupon_code: str | None = None) -> dict[str, Any]:
        """Decides one price and records it (audit row + shelf price) in the same transaction."""
        key = request.sku or request.product_id
        if not key:
            raise Invalid("Give a sku or a product_id.", fields={"sku": "sku or product_id required"})
        code = normalise_code(coupon_code) if coupon_code else None
        async with self._sessions.begin() as session:
            now = self._clock()
            shelf_row = await self._lock_shelf(session, key, now)
            tier, tier_source = await self._tier(session, request)
            request = replace(request, tier=tier)
            ruleset = await self._ruleset(session, request, now)
            last = self._last_shelf(shelf_row, now)
            coupon, uses = await self._coupon_for_quote(session, code, request.customer_id)
            learned = await self._learned_offer(session, request, ruleset, now) if self._learner.enabled else None
            decision = rules.decide(
                request,
                ruleset,
                now,
                last_shelf=last,
                coupon=coupon,
                coupon_code=code,
                coupon_customer_uses=uses,
                learned_offer=learned[1] if learned else None,
            )
            self._remember_shelf(shelf_row, decision.shelf_price, now)
            result = self._quote_json(request, decision, tier_source, code)
            inputs = _inputs_json(request, code)
            result["learner"] = None
            if learned and learned[1].offer is not None:  # None: low stock withheld the offer
                arm_set, offer, offer_row = learned[0], learned[1].offer, learned[2]
                await learner_store.record_offer(session, arm_set, offer_row, offer, now)
                inputs["learner"] = {**arm_set.as_json(), **offer.as_json()}
                result["learner"] = {k: v for k, v in inputs["learner"].items() if k != "arms"}
            audit = QuoteAudit(
                at=now,
                key=key,
                customer_id=request.customer_id,
                inputs=inputs,
                adjustments=result["adjustments"],
                guardrail=decision.guardrail,
                unit_price=decision.unit_price,
                currency=request.currency,
            )
            session.add(audit)
            await session.flush()
            result["quote_id"] = audit.id
            result["quoted_at"] = when(now)
        logger.info("quote %s for %s: %s %s", audit.id, key, result["unit_price"], request.currency)
        return result

    async def _learned_offer(
        self, session: AsyncSession, request: rules.QuoteRequest, ruleset: rules.RuleSet, now: datetime
    ) -> tuple[learner_store.ArmSet, OfferPicker, LearnerOffer]:
        """The bandit, ready to run inside the decision: the arm set's posteriors, its current offer
        (locked), and the bounds from the settings and the SKU's floor price."""
        settings = self._learner
        segment = segment_of({"tier": request.tier})
        arm_set = learner_store.ArmSet(
            product_group(request.category, request.product_id, request.sku, settings.group_depth), segment
        )
        offer_row = await learner_store.lock_offer(session, arm_set)
        arms = await learner_store.load_arms(session, arm_set, settings)
        picker = OfferPicker(
            arms,
            base_price=request.base_price,
            current=learner_store.current_offer(offer_row),
            bounds=settings.bounds(ruleset.limits.floor_price),
            now=now,
            rng=self._rng,
            currency=request.currency,
            label=segments.LABELS.get(segment, segment),
        )
        return arm_set, picker, offer_row

    async def record_outcome(self, quote_id: int, bought: bool) -> dict[str, Any]:
        """Whether the shopper bought after a quote with a learned offer: updates that arm's posterior,
        once per quote."""
        try:
            async with self._sessions.begin() as session:
                audit = await session.get(QuoteAudit, quote_id)
                if audit is None:
                    raise NotFound(f"Quote {quote_id} was not found.", code="quote_not_found")
                learned = (audit.inputs or {}).get("learner")
                if not learned:
                    raise Refused(
                        f"Quote {quote_id} had no learned offer, so there is nothing to learn from.",
                        code="no_learned_offer",
                    )
                if await session.get(LearnerOutcome, quote_id) is not None:
                    raise Refused(f"Quote {quote_id} already has an outcome.", code="outcome_exists")
                arm_set = learner_store.ArmSet(learned["product_group"], learned["segment"])
                discount = Decimal(str(learned["discount"]))
                row = await learner_store.record_outcome(session, quote_id, arm_set, discount, bought, self._clock())
                arm = learner_store.arm_json(row) if row is not None else None
        except IntegrityError:  # a concurrent call recorded it first
            raise Refused(f"Quote {quote_id} already has an outcome.", code="outcome_exists") from None
        return {"quote_id": quote_id, "bought": bought, "arm": arm}

    async def pending_outcomes(self, lookback: timedelta) -> tuple[datetime, list[PendingQuote]]:
        """Now, and the learned quotes of the last `lookback` still without an outcome (the outcome sweep's work)."""
        now = self._clock()
        async with self._sessions() as session:
            return now, await learner_store.pending_quotes(session, now - lookback)

    async def learner_arms(self, product_group: str | None = None, segment: str | None = None) -> dict[str, Any]:
        async with self._sessions() as session:
            arms = await learner_store.list_arms(session, product_group, segment)
        return {"enabled": self._learner.enabled, "arms": arms}

    async def fairness(self, since: datetime | None, until: datetime | None) -> dict[str, Any]:
        """Final prices and offers by segment over a window (default: the last 30 days)."""
        until = until or self._clock()
        try:
            since = since or until - timedelta(days=30)
        except OverflowError:  # until in the year 1
            raise Invalid("until is out of range.", fields={"until": "out of range"}) from None
        if since >= until:
            raise Invalid("since must be before until.", fields={"since": "must be before until"})
        async with self._sessions() as session:
            return await fairness.report(session, since, until)

    async def quote_audit(self, quote_id: int) -> dict[str, Any]:
        async with self._sessions() as session:
            row = await session.get(QuoteAudit, quote_id)
            if row is None:
                raise NotFound(f"Quote {quote_id} was not found.", code="quote_not_found")
            return {
                "quote_id": row.id,
                "at": when(row.at),
                "key": row.key,
                "customer_id": row.customer_id,
                "inputs": row.inputs,
                "adjustments": row.adjustments,
                "guardrail": row.guardrail,
                "unit_price": money(row.unit_price),
                "currency": row.currency,
            }

    async def _tier(self, session: AsyncSession, request: rules.QuoteRequest) -> tuple[str | None, str]:
        """Given by the caller, else the shop's record for the customer, else `new`; anonymous: none.
        Without the shopper's consent to personalisation none either (`no_consent`): the public price,
        whatever tier or customer id was sent (GDPR; docs/pricing-backend.md, Consent)."""
        if not request.consent and (request.tier or request.customer_id):
            return None, "no_consent"
        if request.tier:
            return request.tier, "given"
        if not request.customer_id:
            return None, "anonymous"
        row = await session.get(CustomerTier, request.customer_id)
        return (row.tier, "recorded") if row else ("new", "derived")

    async def _ruleset(self, session: AsyncSession, request: rules.QuoteRequest, now: datetime) -> rules.RuleSet:
        """The rules that can apply now (past and future sales stay in the database, unread)."""
        sales = (await session.scalars(select(Sale).where(Sale.starts_at <= now, Sale.ends_at > now))).all()
        stock_rules = (await session.scalars(select(StockRule))).all()
        tiers = {t.tier: t.percent for t in (await session.scalars(select(TierDiscount))).all()}
        guard = await self._guardrail_for(session, request)
        return rules.RuleSet(
            sales=[rules.SaleRule(s.name, s.kind, s.value, s.scope, s.target, s.starts_at, s.ends_at) for s in sales],
            stock_rules=[
                rules.StockRuleSpec(r.name, r.min_stock, r.max_stock, r.effect, r.percent) for r in stock_rules
            ],
            tier_percents=tiers,
            limits=limits_of(guard),
        )

    async def _guardrail_for(self, session: AsyncSession, request: rules.QuoteRequest) -> Guardrail | None:
        """The most specific guardrail: the SKU's, else the product's, else `default`."""
        for key in (request.sku, request.product_id, DEFAULT_GUARDRAIL):
            if key:
                row = await session.get(Guardrail, key)
                if row is not None:
                    return row
        return None

    async def _coupon_for_quote(
        self, session: AsyncSession, code: str | None, customer_id: str | None
    ) -> tuple[rules.CouponSpec | None, int]:
        if not code:
            return None, 0
        row = await session.get(Coupon, code)
        if row is None:
            return None, 0
        return coupon_spec(row), await self._customer_uses(session, code, customer_id)

    async def _customer_uses(self, session: AsyncSession, code: str, customer_id: str | None) -> int:
        if not customer_id:
            return 0
        query = select(func.count()).where(Redemption.code == code, Redemption.customer_id == customer_id)
        return int(await session.scalar(query) or 0)

    @staticmethod
    async def _lock_shelf(session: AsyncSession, key: str, now: datetime) -> ShelfPrice:
        """The SKU's shelf-price row, created if missing, and locked for this transaction.

        Written first on purpose: on SQLite the insert takes the write lock before anything is read,
        so concurrent quotes wait instead of failing; on PostgreSQL concurrent first quotes of a
        new SKU do not collide on the primary key, and the row lock orders quotes of one SKU."""
        placeholder = {"key": key, "price": None, "changed_at": now, "quoted_at": now, "day_price": None}
        await insert_missing(session, ShelfPrice, [placeholder], ["key"])
        row = await session.get(ShelfPrice, key, with_for_update=True, populate_existing=True)
        if row is None:  # another database: no upsert, a plain insert
            row = ShelfPrice(**placeholder)
            session.add(row)
        return row

    @staticmethod
    def _last_shelf(row: ShelfPrice, now: datetime) -> rules.LastShelfPrice | None:
        """None for a SKU never quoted; opens a new 24-hour window (at the last price) when due."""
        if row.price is None:
            return None
        if row.day_started_at is None or now - row.day_started_at >= timedelta(days=1):
            row.day_price, row.day_started_at = row.price, now
        return rules.LastShelfPrice(row.price, row.changed_at, row.day_price)

    @staticmethod
    def _remember_shelf(row: ShelfPrice, price: Decimal, now: datetime) -> None:
        if row.price is None:
            row.day_price, row.day_started_at = price, now
        if row.price != price:
            row.price, row.changed_at = price, now
        row.quoted_at = now

    @staticmethod
    def _quote_json(
        request: rules.QuoteRequest, decision: rules.Decision, tier_source: str, code: str | None
    ) -> dict[str, Any]:
        unit = decision.unit_price
        return {
            "sku": request.sku,
            "product_id": request.product_id,
            "currency": request.currency,
            "quantity": request.quantity,
            "base_price": money(request.base_price),
            "shelf_price": money(decision.shelf_price),
            "unit_price": money(unit),
            "total": money(unit * request.quantity),
            "customer_tier": request.tier,
            "tier_source": tier_source,
            "coupon_code": code,
            "coupon_applied": decision.coupon_applied,
            "adjustments": [
                {
                    "kind": a.kind,
                    "amount": money(a.amount),
                    "price_after": money(a.price_after),
                    "explanation": a.explanation,
                }
                for a in decision.adjustments
            ],
            "notes": decision.notes,
            "guardrail": decision.guardrail,
        }

    # -- rules management -----------------------------------------------------------------------

    async def list_sales(self) -> dict[str, Any]:
        async with self._sessions() as session:
            rows = (await session.scalars(select(Sale).order_by(Sale.starts_at, Sale.id))).all()
            return {"sales": [sale_json(r) for r in rows]}

    async def create_sale(self, body: dict[str, Any]) -> dict[str, Any]:
        starts, ends = parse_time(body["starts_at"], "starts_at"), parse_time(body["ends_at"], "ends_at")
        if ends <= starts:
            raise Invalid("A sale must end after it starts.", fields={"ends_at": "must be after starts_at"})
        _check_scope(body["scope"], body.get("target"))
        _check_discount(body["kind"], Decimal(str(body["value"])))
        async with self._sessions.begin() as session:
            row = Sale(
                name=body["name"],
                kind=body["kind"],
                value=Decimal(str(body["value"])),
                scope=body["scope"],
                target=body.get("target") if body["scope"] != "all" else None,
                starts_at=starts,
                ends_at=ends,
            )
            session.add(row)
            await session.flush()
            return sale_json(row)

    async def delete_sale(self, sale_id: int) -> None:
        await self._delete(Sale, sale_id, "Sale")

    async def list_stock_rules(self) -> dict[str, Any]:
        async with self._sessions() as session:
            rows = (await session.scalars(select(StockRule).order_by(StockRule.id))).all()
            return {"stock_rules": [stock_rule_json(r) for r in rows]}

    async def create_stock_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        low, high = _opt_int(body.get("min_stock")), _opt_int(body.get("max_stock"))
        if low is None and high is None:
            raise Invalid("Give min_stock, max_stock or both.", fields={"min_stock": "or max_stock required"})
        if low is not None and high is not None and low > high:
            raise Invalid("min_stock must not exceed max_stock.", fields={"min_stock": "must be <= max_stock"})
        percent = body.get("percent")
        if body["effect"] == "percent_off" and not percent:
            raise Invalid("A percent_off rule needs a percent.", fields={"percent": "required for percent_off"})
        async with self._sessions.begin() as session:
            row = StockRule(
                name=body["name"],
                min_stock=low,
                max_stock=high,
                effect=body["effect"],
                percent=None if body["effect"] == "no_discount" else Decimal(str(percent)),
            )
            session.add(row)
            await session.flush()
            return stock_rule_json(row)

    async def delete_stock_rule(self, rule_id: int) -> None:
        await self._delete(StockRule, rule_id, "Stock rule")

    async def _delete(self, model: type[Sale] | type[StockRule], row_id: int, label: str) -> None:
        async with self._sessions.begin() as session:
            if await rows_changed(session, delete(model).where(model.id == row_id)) == 0:
                raise NotFound(f"{label} {row_id} was not found.")

    async def list_tiers(self) -> dict[str, Any]:
        async with self._sessions() as session:
            rows = {t.tier: t.percent for t in (await session.scalars(select(TierDiscount))).all()}
            return {"tiers": [{"tier": t, "percent": float(rows.get(t, Decimal(0)))} for t in rules.TIERS]}

    async def set_tier(self, tier: str, percent: Decimal) -> dict[str, Any]:
        async with self._sessions.begin() as session:
            row = await session.get(TierDiscount, tier)
            if row is None:
                session.add(TierDiscount(tier=tier, percent=percent))
            else:
                row.percent = percent
        return {"tier": tier, "percent": float(percent)}

    async def customer_tier(self, customer_id: str) -> dict[str, Any]:
        async with self._sessions() as session:
            row = await session.get(CustomerTier, customer_id)
            return {"customer_id": customer_id, "tier": row.tier if row else "new", "recorded": row is not None}

    async def set_customer_tier(self, customer_id: str, tier: str) -> dict[str, Any]:
        async with self._sessions.begin() as session:
            row = await session.get(CustomerTier, customer_id)
            if row is None:
                session.add(CustomerTier(customer_id=customer_id, tier=tier))
            else:
                row.tier = tier
        return {"customer_id": customer_id, "tier": tier, "recorded": True}

    async def list_guardrails(self) -> dict[str, Any]:
        async with self._sessions() as session:
            rows = (await session.scalars(select(Guardrail).order_by(Guardrail.key))).all()
            return {"guardrails": [guardrail_json(r) for r in rows]}

    async def set_guardrail(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        floor, ceiling = _opt_decimal(body.get("floor_price")), _opt_decimal(body.get("ceiling_price"))
        if floor is not None and ceiling is not None and floor > ceiling:
            raise Invalid("The floor price must not exceed the ceiling price.", fields={"floor_price": "> ceiling"})
        async with self._sessions.begin() as session:
            row = await session.get(Guardrail, key)
            if row is None:
                row = Guardrail(key=key)
                session.add(row)
            row.floor_price, row.ceiling_price = floor, ceiling
            row.max_daily_change_percent = _opt_decimal(body.get("max_daily_change_percent"))
            row.min_change_interval_minutes = _opt_int(body.get("min_change_interval_minutes"))
            await session.flush()
            return guardrail_json(row)

    # -- coupons --------------------------------------------------------------------------------

    async def list_coupons(self) -> dict[str, Any]:
        async with self._sessions() as session:
            rows = (await session.scalars(select(Coupon).order_by(Coupon.code))).all()
            return {"coupons": [coupon_json(r) for r in rows]}

    async def get_coupon(self, code: str) -> dict[str, Any]:
        async with self._sessions() as session:
            row = await session.get(Coupon, normalise_code(code))
            if row is None:
                raise NotFound(f"Coupon {normalise_code(code)} does not exist.", code="coupon_not_found")
            return coupon_json(row)

    async def create_coupon(self, body: dict[str, Any]) -> dict[str, Any]:
        code = normalise_code(body["code"])
        valid_from, valid_to = parse_time(body["valid_from"], "valid_from"), parse_time(body["valid_to"], "valid_to")
        if valid_to <= valid_from:
            raise Invalid("valid_to must be after valid_from.", fields={"valid_to": "must be after valid_from"})
        _check_discount(body["kind"], Decimal(str(body["value"])))
        async with self._sessions.begin() as session:
            if await session.get(Coupon, code) is not None:
                raise Refused(f"Coupon {code} already exists.", code="coupon_exists")
            row = Coupon(
                code=code,
                kind=body["kind"],
                value=Decimal(str(body["value"])),
                valid_from=valid_from,
                valid_to=valid_to,
                max_uses=_opt_int(body.get("max_uses")),
                max_uses_per_customer=_opt_int(body.get("max_uses_per_customer")),
                min_order_value=_opt_decimal(body.get("min_order_value")),
                customer_id=body.get("customer_id"),
                uses=0,
                created_at=self._clock(),
            )
            session.add(row)
            await session.flush()
            return coupon_json(row)

    async def redeem(
        self, code: str, customer_id: str, order_value: Decimal, order_number: str | None = None
    ) -> dict[str, Any]:
        """Records one use atomically: a single conditional UPDATE claims the use (it takes the row
        lock on PostgreSQL and the write lock on SQLite before anything is read), then the
        per-customer count is checked under that lock; any refusal rolls the claim back."""
        code = normalise_code(code)
        async with self._sessions.begin() as session:
            now = self._clock()
            claim = (
                update(Coupon)
                .where(
                    Coupon.code == code,
                    Coupon.valid_from <= now,
                    Coupon.valid_to > now,
                    or_(Coupon.max_uses.is_(None), Coupon.uses < Coupon.max_uses),
                    or_(Coupon.customer_id.is_(None), Coupon.customer_id == customer_id),
                    or_(Coupon.min_order_value.is_(None), Coupon.min_order_value <= order_value),
                )
                .values(uses=Coupon.uses + 1)
                .execution_options(synchronize_session=False)
            )
            claimed = await rows_changed(session, claim) == 1
            row = await session.get(Coupon, code, populate_existing=True)
            if row is None:
                raise NotFound(f"Coupon {code} does not exist.", code="coupon_not_found")
            uses = await self._customer_uses(session, code, customer_id)
            spec = coupon_spec(row)
            if claimed:  # the row already counts this use; judge the limits as they stood before it
                spec = rules.CouponSpec(**{**spec.__dict__, "uses": row.uses - 1})
            problem = rules.coupon_problem(spec, customer_id, order_value, now, uses)
            if problem or not claimed:
                raise Refused(_sentence(problem or f"coupon {code} cannot be used right now"), code="coupon_refused")
            redemption = Redemption(
                code=code, customer_id=customer_id, order_number=order_number, order_value=order_value, at=now
            )
            session.add(redemption)
            result = {"code": code, "customer_id": customer_id, "redeemed_at": when(now), "coupon": coupon_json(row)}
        logger.info("coupon %s redeemed by %s (%s uses)", code, customer_id, row.uses)
        return result

    # -- goodwill -------------------------------------------------------------------------------

    async def budget(self) -> dict[str, Any]:
        async with self._sessions() as session:
            row = await session.get(GoodwillBudget, 1)
            if row is None:
                raise NotFound("No goodwill budget is set.", code="no_budget")
            return budget_json(row)

    async def set_budget(self, body: dict[str, Any]) -> dict[str, Any]:
        async with self._sessions.begin() as session:
            row = await session.get(GoodwillBudget, 1)
            if row is None:
                row = GoodwillBudget(id=1, version=0)
                session.add(row)
            row.daily_budget = Decimal(str(body["daily_budget"]))
            row.per_customer_budget = Decimal(str(body["per_customer_budget"]))
            row.per_customer_window_days = int(body.get("per_customer_window_days", 30))
            row.default_amount = Decimal(str(body["default_amount"]))
            row.valid_days = int(body.get("valid_days", 30))
            row.enabled = body.get("enabled", True)
            await session.flush()
            return budget_json(row)

    async def goodwill(
        self, customer_id: str, reason: str, order_number: str | None = None, amount: Decimal | None = None
    ) -> dict[str, Any]:
        """Issues a one-time personal coupon if today's and this customer's budget allow. The budget
        row is bumped first, which serialises concurrent requests on both databases."""
        async with self._sessions.begin() as session:
            bumped = await rows_changed(
                session,
                update(GoodwillBudget)
                .where(GoodwillBudget.id == 1)
                .values(version=GoodwillBudget.version + 1)
                .execution_options(synchronize_session=False),
            )
            if bumped == 0:
                raise Refused("No goodwill budget is set, so no offer can be made.", code="no_budget")
            budget = await session.get(GoodwillBudget, 1, populate_existing=True)
            assert budget is not None
            now = self._clock()
            value = rules.cents(amount if amount is not None else budget.default_amount)
            problem = await self._budget_problem(session, budget, customer_id, value, now)
            if problem:
                logger.info("goodwill for %s refused: %s", customer_id, problem)
                raise Refused(problem, code="goodwill_refused")
            code = await self._new_code(session)
            valid_to = now + timedelta(days=budget.valid_days)
            session.add(
                Coupon(
                    code=code,
                    kind="amount",
                    value=value,
                    valid_from=now,
                    valid_to=valid_to,
                    max_uses=1,
                    max_uses_per_customer=1,
                    min_order_value=None,
                    customer_id=customer_id,
                    uses=0,
                    created_at=now,
                )
            )
            offer = GoodwillOffer(
                customer_id=customer_id,
                reason=reason,
                order_number=order_number,
                amount=value,
                coupon_code=code,
                issued_at=now,
            )
            session.add(offer)
            await session.flush()
            result = {
                "offer_id": offer.id,
                "customer_id": customer_id,
                "order_number": order_number,
                "coupon_code": code,
                "amount": money(value),
                "valid_to": when(valid_to),
                "explanation": f"a one-time coupon {code} worth {rules.fmt_money(value, 'USD')}, "
                f"valid until {valid_to:%d %b %Y}",
            }
        logger.info("goodwill %s for %s: %s (%s)", code, customer_id, money(value), reason)
        return result

    async def _budget_problem(
        self, session: AsyncSession, budget: GoodwillBudget, customer_id: str, value: Decimal, now: datetime
    ) -> str | None:
        if not budget.enabled:
            return "Goodwill offers are switched off by the operator."
        if value > budget.per_customer_budget:
            limit = money(budget.per_customer_budget)
            return f"The offer of {money(value)} is above the per-customer limit of {limit}."
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        today = await self._issued(session, GoodwillOffer.issued_at >= day_start)
        if today + value > budget.daily_budget:
            left = max(budget.daily_budget - today, Decimal(0))
            return f"Today's goodwill budget is used up ({money(left)} of {money(budget.daily_budget)} left)."
        since = now - timedelta(days=budget.per_customer_window_days)
        theirs = await self._issued(
            session, and_(GoodwillOffer.customer_id == customer_id, GoodwillOffer.issued_at >= since)
        )
        if theirs + value > budget.per_customer_budget:
            return (
                f"This customer already received {money(theirs)} in goodwill in the last "
                f"{budget.per_customer_window_days} days (limit {money(budget.per_customer_budget)})."
            )
        return None

    @staticmethod
    async def _issued(session: AsyncSession, condition: Any) -> Decimal:
        total = await session.scalar(select(func.coalesce(func.sum(GoodwillOffer.amount), 0)).where(condition))
        return Decimal(str(total or 0))

    @staticmethod
    async def _new_code(session: AsyncSession) -> str:
        while True:
            code = "GW-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
            if await session.get(Coupon, code) is None:
                return code


def _inputs_json(request: rules.QuoteRequest, code: str | None) -> dict[str, Any]:
    return {
        "sku": request.sku,
        "product_id": request.product_id,
        "category": request.category,
        "base_price": money(request.base_price),
        "currency": request.currency,
        "quantity": request.quantity,
        "customer_id": request.customer_id,
        "customer_tier": request.tier,
        "stock": request.stock,
        "coupon_code": code,
        CONSENT_KEY: request.consent,
    }


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _opt_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _opt_int(value: Any) -> int | None:
    """JSON Schema counts 3.0 as an integer; the database wants a real int."""
    return None if value is None else int(value)


def _check_scope(scope: str, target: str | None) -> None:
    if scope != "all" and not target:
        raise Invalid(f"A {scope} sale needs a target.", fields={"target": f"required for scope {scope}"})


def _check_discount(kind: str, value: Decimal) -> None:
    if kind == "percent" and not Decimal(0) < value < Decimal(100):
        raise Invalid("A percentage must be above 0 and below 100.", fields={"value": "0 < percent < 100"})
    if value <= 0:
        raise Invalid("A discount must be above zero.", fields={"value": "must be > 0"})
