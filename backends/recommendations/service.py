"""Recommendation logic over the log: record events, serve capped lists, attribute conversions.

HTTP-free; the API maps its results to JSON. The model is swapped atomically on retrain.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import distinct, func, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from backends.recommendations.ab import CONTEXT_WEIGHTS, assign
from backends.recommendations.capping import capped_items, list_allowed
from backends.recommendations.engine import Event, Model, Request, recommend, train
from backends.recommendations.items import ItemCatalogue
from backends.recommendations.settings import Settings
from backends.recommendations.tables import Conversion, Interaction, RecItem, RecList

logger = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def shopper_key(customer_id: str | None, conversation_id: str | None) -> str | None:
    """Whom capping counts for: the customer, or an anonymous conversation."""
    if customer_id:
        return customer_id
    return f"conversation:{conversation_id}" if conversation_id else None


class RecommendationService:
    def __init__(
        self, sessions: async_sessionmaker, items: ItemCatalogue, settings: Settings, clock: Clock = utcnow
    ) -> None:
        self.sessions = sessions
        self.items = items
        self.settings = settings
        self.clock = clock
        self.model: Model | None = None

    async def ping(self) -> str:
        async with self.sessions() as session:
            await session.execute(text("SELECT 1"))
            return session.bind.dialect.name

    async def all_events(self) -> list[Event]:
        async with self.sessions() as session:
            rows = await session.execute(select(Interaction).order_by(Interaction.occurred_at, Interaction.id))
            return [to_event(row) for row in rows.scalars()]

    async def retrain(self) -> Model:
        """Full retrain from the whole log (the `train` command and startup without a model file)."""
        events = await self.all_events()
        self.model = await asyncio.to_thread(train, self.items, events, self.clock())
        logger.info("recommendation model trained: %d users, %d items", len(self.model.users), len(self.model.items))
        return self.model

    async def load_or_train(self) -> Model:
        path = self.settings.model_path
        if path is not None and path.exists():
            self.model = await asyncio.to_thread(Model.load, path)
            return self.model
        return await self.retrain()

    async def add_interaction(self, data: dict[str, Any]) -> dict[str, Any]:
        """Logs an event; a purchase of an item we recommended is attributed as a conversion."""
        when = datetime.fromisoformat(data["occurred_at"]) if data.get("occurred_at") else self.clock()
        row = Interaction(
            customer_id=data["customer_id"],
            product_id=data["product_id"],
            kind=data["type"],
            rating=data.get("rating"),
            conversation_id=data.get("conversation_id"),
            occurred_at=aware(when),
        )
        async with self.sessions() as session, session.begin():
            session.add(row)
        attributed = None
        if row.kind == "purchase":
            attributed = await self.attribute(row.customer_id, row.product_id, None, row.occurred_at)
        return {"id": row.id, "attributed_variant": attributed}

    async def add_conversion(self, data: dict[str, Any]) -> dict[str, Any]:
        variant = await self.attribute(data["customer_id"], data["product_id"], data.get("order_id"), self.clock())
        return {"attributed": variant is not None, "variant": variant}

    async def attribute(self, customer_id: str, product_id: str, order_id: str | None, when: datetime) -> str | None:
        """Credits the newest list that showed this item to this customer within the window, once."""
        since = when - self.settings.attribution_window
        async with self.sessions() as session, session.begin():
            shown = await session.execute(
                select(RecList)
                .join(RecItem, RecItem.list_id == RecList.id)
                .where(RecItem.customer_id == customer_id, RecItem.product_id == product_id)
                .where(RecItem.shown_at >= since, RecItem.shown_at <= when)
                .order_by(RecItem.shown_at.desc(), RecItem.id.desc())
                .limit(1)
            )
            exposure = shown.scalars().first()
            if exposure is None:
                return None
            duplicate = await session.execute(
                select(Conversion.id).where(
                    Conversion.customer_id == customer_id,
                    Conversion.product_id == product_id,
                    Conversion.list_id == exposure.id,
                )
            )
            if duplicate.first() is None:
                session.add(
                    Conversion(
                        customer_id=customer_id,
                        product_id=product_id,
                        list_id=exposure.id,
                        experiment=exposure.experiment,
                        variant=exposure.variant,
                        order_id=order_id,
                        converted_at=when,
                    )
                )
            return exposure.variant

    async def history(self, customer_id: str | None) -> list[Event]:
        if not customer_id:
            return []
        async with self.sessions() as session:
            rows = await session.execute(
                select(Interaction)
                .where(Interaction.customer_id == customer_id)
                .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
                .limit(self.settings.history_limit)
            )
            return [to_event(row) for row in reversed(rows.scalars().all())]

    async def recommendations(
        self,
        customer_id: str | None,
        product_id: str | None,
        cart: Sequence[str],
        k: int,
        conversation_id: str | None,
    ) -> dict[str, Any]:
        now = self.clock()
        caps = self.settings.caps
        unit = customer_id or conversation_id or "anonymous"
        variant = assign(self.settings.experiment, unit, self.settings.variants)
        result: dict[str, Any] = {
            "customer_id": customer_id,
            "conversation_id": conversation_id,
            "experiment": self.settings.experiment,
            "variant": variant.name,
            "list_id": None,
            "capped": False,
            "items": [],
        }
        shopper = shopper_key(customer_id, conversation_id)
        async with self.sessions() as session:
            if conversation_id:
                lists = await session.scalar(
                    select(func.count(RecList.id)).where(
                        RecList.conversation_id == conversation_id, RecList.shown_at >= now - caps.lists_window
                    )
                )
                if not list_allowed(lists or 0, caps):
                    result["capped"] = True
                    return result
            shown: dict[str, int] = {}
            if shopper:
                rows = await session.execute(
                    select(RecItem.product_id, func.count(RecItem.id))
                    .where(RecItem.customer_id == shopper, RecItem.shown_at >= now - caps.item_window)
                    .group_by(RecItem.product_id)
                )
                shown = {product: count for product, count in rows.all()}
        history = await self.history(customer_id)
        model = self.model if self.model is not None else await self.retrain()
        request = Request(
            history=history,
            product_id=product_id,
            cart=tuple(cart),
            k=k,
            exclude=frozenset(capped_items(shown, caps)),
            customer_id=customer_id,
        )
        weights = {**CONTEXT_WEIGHTS, **variant.weights}
        found = recommend(model, request, weights, now)
        if not found:
            return result
        async with self.sessions() as session, session.begin():
            listed = RecList(
                customer_id=customer_id,
                conversation_id=conversation_id,
                experiment=self.settings.experiment,
                variant=variant.name,
                shown_at=now,
            )
            session.add(listed)
            await session.flush()
            for position, item in enumerate(found):
                session.add(
                    RecItem(
                        list_id=listed.id,
                        customer_id=shopper,
                        product_id=item.product_id,
                        position=position,
                        shown_at=now,
                    )
                )
        titles = {item.id: item.title for item in model.items}
        result["list_id"] = listed.id
        result["items"] = [
            {
                "product_id": r.product_id,
                "title": titles.get(r.product_id) or r.product_id,
                "score": r.score,
                "reason": r.reason,
                "source": r.source,
            }
            for r in found
        ]
        return result

    async def variant_counts(self, experiment: str | None = None) -> dict[str, tuple[int, int]]:
        """variant -> (customers exposed, customers converted) for the A/B report."""
        experiment = experiment or self.settings.experiment
        async with self.sessions() as session:
            exposed = await session.execute(
                select(RecList.variant, func.count(distinct(RecList.customer_id)))
                .where(RecList.experiment == experiment, RecList.customer_id.is_not(None))
                .group_by(RecList.variant)
            )
            converted = await session.execute(
                select(Conversion.variant, func.count(distinct(Conversion.customer_id)))
                .where(Conversion.experiment == experiment)
                .group_by(Conversion.variant)
            )
            exposures = dict(exposed.all())
            conversions = dict(converted.all())
        order = [v.name for v in self.settings.variants] + sorted(
            set(exposures) - {v.name for v in self.settings.variants}
        )
        return {name: (exposures.get(name, 0), conversions.get(name, 0)) for name in order if name in exposures}


def to_event(row: Interaction) -> Event:
    return Event(row.customer_id, row.product_id, row.kind, aware(row.occurred_at), row.rating)
