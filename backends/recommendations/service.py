"""Recommendation logic over the log: record events, serve capped lists, attribute conversions.

HTTP-free; the API maps its results to JSON. The model is swapped atomically on retrain.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import distinct, func, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from backends.recommendations.ab import CONTEXT_WEIGHTS, assign
from backends.recommendations.capping import capped_items, list_allowed
from backends.recommendations.engine import Event, Model, Request, recommend, train
from backends.recommendations.items import ItemCatalogue
from backends.recommendations.settings import Settings
from backends.recommendations.sources import ItemSource, ItemsUnavailable, StaticSource, load_snapshot, save_snapshot
from backends.recommendations.tables import Conversion, Interaction, RecItem, RecList, aware, logged_conversation

logger = logging.getLogger(__name__)
Clock = Callable[[], datetime]
CLICKS = ("view", "add_to_cart")  # interactions that count as a click on a recommended item


def utcnow() -> datetime:
    return datetime.now(UTC)


def shopper_key(customer_id: str | None, conversation_id: str | None) -> str | None:
    """Whom capping counts for: the customer, or an anonymous conversation."""
    if customer_id:
        return customer_id
    return f"conversation:{conversation_id}" if conversation_id else None


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """What tells a rewritten model file from the one loaded: mtime, size and inode (a rename)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


class ModelFileMissing(Exception):
    pass


class RecommendationService:
    """Holds the items and the model; both are replaced whole (one assignment), never changed in
    place, so a request that already took `self.model` finishes on it while a new one is swapped in."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        items: ItemCatalogue,
        settings: Settings,
        clock: Clock = utcnow,
        source: ItemSource | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.model: Model | None = None
        self.source: ItemSource = source or StaticSource("fixed", lambda: items)
        self.items = items
        self.items_source = self.source.name  # graph | snapshot | demo | fixed | none
        self.items_fingerprint = items.fingerprint()
        self.items_loaded_at: datetime | None = None
        self._model_file: tuple[int, int, int] | None = None  # signature of the file self.model came from
        self._snapshot_fingerprint: str | None = None  # catalogue in the snapshot file, when known
        self._lock = asyncio.Lock()  # one item refresh or model reload at a time

    # -- items and model lifecycle ----------------------------------------------------------------

    def _use_items(self, catalogue: ItemCatalogue, source: str, fingerprint: str | None = None) -> None:
        self.items = catalogue
        self.items_source = source
        self.items_fingerprint = fingerprint or catalogue.fingerprint()
        self.items_loaded_at = self.clock()

    async def start_items(self) -> str:
        """The first catalogue: from the source, else the last snapshot, else none at all (items then
        come from the interaction log only). Never raises: the service must start with the graph down."""
        snapshot_path = self.settings.items_snapshot
        try:
            if snapshot_path is not None and snapshot_path.exists():
                # Something to fall back on: one try, bounded, and the timer does the rest.
                catalogue = await asyncio.wait_for(self.source.fetch(), self.settings.graph_timeout_s)
            else:
                catalogue = await self._first_fetch()
        except (ItemsUnavailable, TimeoutError) as error:
            reason = str(error) or "timed out"
            snapshot = await asyncio.to_thread(load_snapshot, snapshot_path)
            if snapshot is not None:
                self._use_items(snapshot, "snapshot")
                self._snapshot_fingerprint = self.items_fingerprint
                logger.warning(
                    "items: the %s is unavailable (%s); starting from the snapshot %s (%d items), retrying in the "
                    "background",
                    self.source.name,
                    reason,
                    self.settings.items_snapshot,
                    len(snapshot.items),
                )
            else:
                self._use_items(ItemCatalogue([]), "none")
                logger.error(
                    "items: the %s is unavailable (%s) and there is no snapshot: starting without a catalogue "
                    "(only items seen in the interaction log), retrying in the background",
                    self.source.name,
                    reason,
                )
            return self.items_source
        await self._accept(catalogue, catalogue.fingerprint())
        logger.info(
            "items: %d from the %s (catalogue %s)", len(catalogue.items), self.source.name, self.items_fingerprint
        )
        return self.items_source

    async def _first_fetch(self) -> ItemCatalogue:
        """No snapshot yet (a first start): keep trying for graph_startup_wait_s, since the launcher
        starts the graph service alongside this one and it needs a while to load; until it answers,
        /health does not either, so the launcher waits. Then give up and start item-less."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.graph_startup_wait_s
        while True:
            try:
                return await asyncio.wait_for(self.source.fetch(), max(deadline - loop.time(), 0.1))
            except (ItemsUnavailable, TimeoutError) as error:
                if loop.time() + 1 >= deadline:
                    raise
                logger.info("items: waiting for the %s (%s)", self.source.name, str(error) or "timed out")
                await asyncio.sleep(1)

    async def _accept(self, catalogue: ItemCatalogue, fingerprint: str) -> None:
        snapshot = self.settings.items_snapshot
        if self.source.refreshable and snapshot is not None and fingerprint != self._snapshot_fingerprint:
            await asyncio.to_thread(save_snapshot, catalogue, snapshot)
            self._snapshot_fingerprint = fingerprint
        self._use_items(catalogue, self.source.name, fingerprint)

    async def refresh_items(self) -> dict[str, Any]:
        """Re-reads the source; when the catalogue differs from the one the model knows, retrains.
        Raises ItemsUnavailable (the old items and model stay) when the source cannot be read."""
        async with self._lock:
            catalogue = await self.source.fetch()
            fingerprint = catalogue.fingerprint()
            changed = fingerprint != self.items_fingerprint
            await self._accept(catalogue, fingerprint)
            retrained = self.model is None or self.model.catalogue_fingerprint != fingerprint
            if retrained:
                await self.retrain(save=True)
            if changed:
                logger.info("items: catalogue changed to %s (%d items)", fingerprint, len(catalogue.items))
            return {
                "source": self.items_source,
                "items": len(catalogue.items),
                "fingerprint": fingerprint,
                "changed": changed,
                "retrained": retrained,
            }

    async def reload_model(self, force: bool = False) -> bool:
        """Swaps in the model file when it changed since it was loaded (or always, with force): the
        `train` command's output reaches the running service without a restart."""
        path = self.settings.model_path
        if path is None:
            raise ModelFileMissing("this service keeps its model in memory only (no model file configured)")
        async with self._lock:
            signature = file_signature(path)
            if signature is None:
                raise ModelFileMissing(f"there is no model file at {path}")
            if signature == self._model_file and not force:
                return False
            model = await asyncio.to_thread(Model.load, path)
            self.model, self._model_file = model, signature
        # A model trained on another catalogue is still used as it is: the next item refresh compares
        # the graph with *this* model's catalogue and retrains if they differ.
        logger.info(
            "recommendation model reloaded from %s: %d users, %d items, trained %s",
            path,
            len(model.users),
            len(model.items),
            model.trained_at.isoformat() if model.trained_at else "?",
        )
        return True

    async def ping(self) -> str:
        async with self.sessions() as session:
            await session.execute(text("SELECT 1"))
            return session.bind.dialect.name

    async def all_events(self) -> list[Event]:
        async with self.sessions() as session:
            rows = await session.execute(select(Interaction).order_by(Interaction.occurred_at, Interaction.id))
            return [to_event(row) for row in rows.scalars()]

    async def retrain(self, save: bool = False) -> Model:
        """Full retrain from the whole log on the current items; with save, also writes the model file
        (never when there is no catalogue: that would overwrite a good model with an item-less one)."""
        events = await self.all_events()
        items, fingerprint = self.items, self.items_fingerprint
        model = await asyncio.to_thread(train, items, events, self.clock())
        model.catalogue_fingerprint = fingerprint
        self.model = model
        logger.info("recommendation model trained: %d users, %d items", len(model.users), len(model.items))
        path = self.settings.model_path
        if save and path is not None and self.items_source != "none":
            await asyncio.to_thread(model.save, path)
            self._model_file = file_signature(path)
        return model

    async def load_or_train(self) -> Model:
        """The model file if it was trained on the current catalogue, else a retrain (saved)."""
        path = self.settings.model_path
        signature = file_signature(path) if path is not None else None
        if path is not None and signature is not None:
            try:
                model = await asyncio.to_thread(Model.load, path)
            except Model.LOAD_ERRORS as error:
                logger.error("model file %s is unreadable (%r): retraining from the log", path, error)
                return await self.retrain(save=True)
            if model.catalogue_fingerprint == self.items_fingerprint or self.items_source == "none":
                self.model, self._model_file = model, signature
                return model
            logger.info("model file %s was trained on another catalogue: retraining on the current one", path)
        return await self.retrain(save=True)

    async def add_interaction(self, data: dict[str, Any]) -> dict[str, Any]:
        """Logs an event; a view or add-to-cart of an item we recommended to this customer is attributed
        as a click, a purchase of one as a purchase conversion (with its revenue, when given)."""
        when = datetime.fromisoformat(data["occurred_at"]) if data.get("occurred_at") else self.clock()
        row = Interaction(
            customer_id=data["customer_id"],
            product_id=data["product_id"],
            kind=data["type"],
            rating=data.get("rating"),
            conversation_id=logged_conversation(data.get("conversation_id")),
            occurred_at=aware(when),
        )
        async with self.sessions() as session, session.begin():
            session.add(row)
        attributed = None
        if row.kind == "purchase":
            revenue = _money(data.get("revenue"))
            attributed = await self.attribute(row.customer_id, row.product_id, None, row.occurred_at, revenue=revenue)
        elif row.kind in CLICKS:
            await self.attribute(row.customer_id, row.product_id, None, row.occurred_at, kind="click")
        return {"id": row.id, "attributed_variant": attributed}

    async def add_conversion(self, data: dict[str, Any]) -> dict[str, Any]:
        variant = await self.attribute(
            data["customer_id"],
            data["product_id"],
            data.get("order_id"),
            self.clock(),
            revenue=_money(data.get("revenue")),
        )
        return {"attributed": variant is not None, "variant": variant}

    async def attribute(
        self,
        customer_id: str,
        product_id: str,
        order_id: str | None,
        when: datetime,
        *,
        kind: str = "purchase",
        revenue: Decimal | None = None,
    ) -> str | None:
        """Credits the newest list that showed this item to this customer within the window, once per
        list, item and kind. Only lists shown with consent name the customer (`recommendations`), so a
        list shown without it is never credited with the customer's purchases."""
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
            duplicate = await session.scalar(
                select(Conversion).where(
                    Conversion.customer_id == customer_id,
                    Conversion.product_id == product_id,
                    Conversion.list_id == exposure.id,
                    Conversion.kind == kind,
                )
            )
            if duplicate is not None:
                # The same purchase reported twice (the interaction, then POST /conversions with the
                # order): one conversion, with the revenue if only the later report has it.
                if duplicate.revenue is None and revenue is not None:
                    duplicate.revenue = revenue
                    duplicate.order_id = duplicate.order_id or order_id
            else:
                session.add(
                    Conversion(
                        customer_id=customer_id,
                        product_id=product_id,
                        list_id=exposure.id,
                        experiment=exposure.experiment,
                        variant=exposure.variant,
                        order_id=order_id,
                        kind=kind,
                        revenue=revenue,
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
        consent: bool = False,
    ) -> dict[str, Any]:
        """Top-k for the product on screen and the cart; folded with the customer's own history only
        with their consent. Without it the customer id is not used at all (not for the history, the
        A/B unit, capping or the exposure log): the list is popularity and content around the product
        asked about, the same for every shopper, and its exposure names only the conversation."""
        if not consent:
            customer_id = None
        personalised = customer_id is not None
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
            "personalised": personalised,
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
                personalised=personalised,
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
                .where(Conversion.experiment == experiment, Conversion.kind == "purchase")
                .group_by(Conversion.variant)
            )
            exposures = dict(exposed.all())
            conversions = dict(converted.all())
        order = [v.name for v in self.settings.variants] + sorted(
            set(exposures) - {v.name for v in self.settings.variants}
        )
        return {name: (exposures.get(name, 0), conversions.get(name, 0)) for name in order if name in exposures}


def _money(value: object) -> Decimal | None:
    """A revenue from the JSON body (a number, validated by the schema) as money, or None."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def to_event(row: Interaction) -> Event:
    return Event(row.customer_id, row.product_id, row.kind, aware(row.occurred_at), row.rating)
