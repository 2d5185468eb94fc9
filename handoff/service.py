"""What the desk does, between the HTTP layer and the store: priorities, relays, live events.

Every message to the shopper is stored first and sent second; a per-conversation lock sends them in
order, and anything Rasa did not confirm stays undelivered until the retry loop or the agent's retry
button gets it through."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from contracts.orders import Order
from contracts.texts import texts
from handoff.config import Settings
from handoff.hub import Hub
from handoff.priority import summarise
from handoff.relay import RasaRelay, RelayFailed
from handoff.store import TicketStore
from handoff.sync import ExternalSync
from service_clients.orders import OrdersClient, OrdersError

logger = logging.getLogger(__name__)


class HandoffService:
    def __init__(
        self,
        settings: Settings,
        store: TicketStore,
        relay: RasaRelay,
        hub: Hub,
        sync: ExternalSync,
        orders: Callable[[], OrdersClient] = OrdersClient.from_env,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.store = store
        self.relay = relay
        self.hub = hub
        self.sync = sync
        self._orders_factory = orders
        self._orders: OrdersClient | None = None
        self._now = now
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def aclose(self) -> None:
        await self.relay.close()
        if self._orders is not None:
            await self._orders.close()

    # -- from the bot --------------------------------------------------------------------------

    async def open_handoff(self, body: Mapping[str, Any]) -> dict[str, Any]:
        frustration = float(body["frustration"])
        order = body.get("order")
        transcript = body["transcript"]
        fields = {
            "conversation_id": body["conversation_id"],
            "channel": body["channel"],
            "status": "waiting" if self.settings.hours.open_at(self._now()) else "follow_up",
            "priority": self.settings.priority.priority(
                frustration, order, (body.get("customer") or {}).get("retention_tier")
            ),
            "reason": body["reason"],
            "frustration": frustration,
            "customer": dict(body.get("customer") or {}),
            "order": dict(order) if order else None,
            "intent": body.get("intent"),
            "entities": list(body.get("entities") or []),
            "sentiment_history": list(body.get("sentiment_history") or []),
            "summary": (body.get("summary") or "").strip()
            or summarise(body.get("intent"), order, body.get("entities") or [], transcript),
        }
        ticket, created = await self.store.open_ticket(fields, transcript)
        if created:
            logger.info(
                "ticket %s opened for %s (%s, priority %s)",
                ticket["ticket_id"],
                ticket["conversation_id"],
                ticket["status"],
                ticket["priority"],
            )
            self.sync.ticket_opened(ticket["ticket_id"])
        await self.hub.publish({"type": "queue"})
        await self.hub.publish({"type": "ticket", "ticket": ticket})
        return {
            "ticket_id": ticket["ticket_id"],
            "status": ticket["status"],
            "agents_online": self.hub.agents_online(),
            "queue_position": await self.store.queue_position(ticket["ticket_id"]),
            "created": created,
        }

    async def shopper_message(
        self, conversation_id: str, text: str, timestamp: Any, key: str | None = None
    ) -> dict[str, Any]:
        ticket, message, created = await self.store.add_shopper_message(conversation_id, text, timestamp, key)
        if created:
            await self.hub.publish({"type": "message", "message": message})
            self.sync.shopper_message(ticket["ticket_id"])
        return {
            "ticket_id": ticket["ticket_id"],
            "status": ticket["status"],
            "message_id": message["id"],
            "agent": ticket["assigned_agent"],
        }

    # -- from the desk -------------------------------------------------------------------------

    async def take(self, ticket_id: int, agent: str, display_name: str) -> dict[str, Any]:
        ticket, newly = await self.store.take(ticket_id, agent)
        if newly:
            await self.hub.publish({"type": "queue"})
            await self.hub.publish({"type": "ticket", "ticket": ticket})
            if self.settings.join_text is None:
                text = texts().text("handoff.agent_joined", agent=display_name).strip()
            else:
                text = self.settings.join_text.replace("{agent}", display_name).strip()
            if text:  # an empty HANDOFF_JOIN_TEXT means no notice
                join = await self.store.add_message(ticket_id, "system", text, display_name, kind="join")
                await self.hub.publish({"type": "message", "message": join})
                await self.deliver_pending(ticket_id)
        return await self.store.ticket(ticket_id)

    async def reply(self, ticket_id: int, agent: str, display_name: str, text: str) -> dict[str, Any]:
        message = await self.store.add_message(ticket_id, "agent", text, display_name, holder=agent)
        await self.hub.publish({"type": "message", "message": message})
        delivered = await self.deliver_pending(ticket_id)
        self.sync.desk_message(ticket_id)
        return delivered.get(message["id"]) or await self.store.message(message["id"])

    async def note(self, ticket_id: int, display_name: str, text: str) -> dict[str, Any]:
        message = await self.store.add_message(ticket_id, "note", text, display_name)
        await self.hub.publish({"type": "message", "message": message})
        self.sync.desk_message(ticket_id)
        return message

    async def close(self, ticket_id: int, agent: str, display_name: str) -> dict[str, Any]:
        ticket, release = await self.store.close(ticket_id, agent, display_name)
        await self.hub.publish({"type": "ticket", "ticket": ticket})
        await self.hub.publish({"type": "message", "message": release})
        self.sync.ticket_closed(ticket_id)
        await self.deliver_pending(ticket_id)
        return await self.store.ticket(ticket_id)

    async def retry(self, message_id: int) -> dict[str, Any]:
        message = await self.store.message(message_id)
        if not message["delivered"]:
            delivered = await self.deliver_pending(message["ticket_id"])
            return delivered.get(message_id) or await self.store.message(message_id)
        return message

    async def customer_orders(self, ticket_id: int) -> dict[str, Any]:
        """The shopper's recent orders from the orders backend; a failure is a note, not an error."""
        ticket = await self.store.ticket(ticket_id, with_messages=False)
        customer_id = (ticket["customer"] or {}).get("id")
        if not customer_id:
            return {"available": False, "note": "Guest shopper: no customer account to look up.", "orders": []}
        if self._orders is None:
            self._orders = self._orders_factory()
        try:
            orders = await self._orders.list_customer_orders(str(customer_id), limit=10)
        except OrdersError as error:
            logger.warning("orders for %s unavailable: %s", customer_id, error)
            return {
                "available": False,
                "note": "Orders unavailable right now (the order system did not answer).",
                "orders": [],
            }
        return {"available": True, "note": None, "orders": [_order_view(order) for order in orders]}

    # -- delivery ------------------------------------------------------------------------------

    async def deliver_pending(self, ticket_id: int, include_refused: bool = True) -> dict[int, dict[str, Any]]:
        """Sends the ticket's undelivered relays in order, stopping at the first failure so the
        shopper never sees a later message before an earlier one. Returns the updated messages."""
        results: dict[int, dict[str, Any]] = {}
        async with self._locks[ticket_id]:
            pending = await self.store.undelivered(ticket_id, include_refused)
            for message in pending:
                try:
                    if message["kind"] == "release":
                        delivered_as = await self.relay.release(message["conversation_id"], message["author"] or "")
                    else:
                        delivered_as = await self.relay.agent_message(
                            message["conversation_id"], message["text"], message["author"] or ""
                        )
                except RelayFailed as error:
                    refused = "refused" if error.permanent else None
                    updated = await self.store.mark_delivery(message["id"], refused, str(error))
                    results[updated["id"]] = updated
                    await self.hub.publish({"type": "message", "message": updated})
                    break
                updated = await self.store.mark_delivery(message["id"], delivered_as, None)
                results[updated["id"]] = updated
                await self.hub.publish({"type": "message", "message": updated})
        return results

    async def retry_loop(self) -> None:
        """Background task: retries what Rasa did not confirm, e.g. after a restart of the bot."""
        while True:
            await asyncio.sleep(self.settings.retry_interval_s)
            try:
                for ticket_id in sorted({m["ticket_id"] for m in await self.store.undelivered(None, False)}):
                    await self.deliver_pending(ticket_id, include_refused=False)
            except Exception:
                logger.exception("delivery retry round failed")

    async def external_reply(self, ticket_id: int, connector: str, external_id: str, text: str, author: str) -> bool:
        """An agent answered in the external ticket system: store once, then relay like a desk reply."""
        message = await self.store.add_external_reply(ticket_id, connector, external_id, text, author)
        if message is None:
            return False
        await self.hub.publish({"type": "message", "message": message})
        await self.deliver_pending(ticket_id)
        return True


def _order_view(order: Order) -> dict[str, Any]:
    """The desk's short view of an order (the agent's list, not the backend's full JSON)."""
    return {
        "number": order.number,
        "status": order.status.value,
        "placed_at": order.placed_at.isoformat(),
        "total": str(order.total),
        "currency": order.currency,
        "eta": order.eta.isoformat() if order.eta else None,
        "items": [line.label() for line in order.lines],
    }
