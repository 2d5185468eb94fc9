"""Mirrors desk tickets into external ticket systems (handoff/connectors) and brings their replies back.

The ticket is in our store before any connector is called, so a connector being down loses nothing:
each connector's state (external id, sync state, last error, which shopper messages and replies have
crossed) is kept in the ticket's `external_refs`, and a background round every
HANDOFF_POLL_INTERVAL_S retries what is missing and polls `replies_since` for open tickets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from handoff.connectors.base import ConnectorRejected, ConnectorUnavailable, ExternalTicket, TicketConnector
from handoff.priority import NAMES
from handoff.store import TicketStore

logger = logging.getLogger(__name__)

ReplySink = Callable[[int, str, str, str, str], Awaitable[bool]]
IMMEDIATE_ATTEMPTS = 3
SUBJECT_LENGTH = 120
# Closed tickets whose external copy could not be resolved yet are retried for this long.
RESOLVE_WINDOW = timedelta(days=1)


class ExternalSync:
    def __init__(
        self,
        store: TicketStore,
        connectors: Sequence[TicketConnector],
        poll_interval_s: float = 5.0,
        retry_base_s: float = 1.0,
    ) -> None:
        self._store = store
        self.connectors = list(connectors)
        self._poll_interval_s = poll_interval_s
        self._retry_base_s = retry_base_s
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.on_reply: ReplySink | None = None  # set by the service: stores and relays a reply

    # -- triggers (never block the caller) -----------------------------------------------------

    def ticket_opened(self, ticket_id: int) -> None:
        self._spawn(self._push_with_retries(ticket_id))

    def shopper_message(self, ticket_id: int) -> None:
        self._spawn(self.push(ticket_id))

    def ticket_closed(self, ticket_id: int) -> None:
        self._spawn(self._push_with_retries(ticket_id))

    def desk_message(self, ticket_id: int) -> None:
        """A desk reply or note: mirrored as an internal comment."""
        self._spawn(self.push(ticket_id))

    async def reply_arrived(self, name: str, external_id: str) -> int:
        """A connector was told of a new reply (the webhook's inbound route): store and relay it now, not
        next round. Awaited by the caller, so it can acknowledge only what is stored; raises if storing fails."""
        connector = next((c for c in self.connectors if c.name == name), None)
        relayed = 0
        for ticket in await self._store.tickets_to_sync(RESOLVE_WINDOW):
            ref = ticket["external_refs"].get(name) or {}
            if connector is not None and ref.get("id") == external_id and ticket["status"] != "closed":
                relayed += await self._pull(connector, ticket["ticket_id"], ref)
        return relayed

    def _spawn(self, work: Awaitable[Any]) -> None:
        if not self.connectors:
            work.close()  # type: ignore[attr-defined]
            return
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Waits for the background pushes (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        for connector in self.connectors:
            with contextlib.suppress(Exception):
                await connector.aclose()

    # -- pushing our side out ------------------------------------------------------------------

    async def _push_with_retries(self, ticket_id: int) -> None:
        for attempt in range(IMMEDIATE_ATTEMPTS):
            if await self.push(ticket_id):
                return
            await asyncio.sleep(self._retry_base_s * 2**attempt)

    async def push(self, ticket_id: int) -> bool:
        """Creates missing external tickets, sends new shopper messages, resolves closed tickets.
        True when every connector is up to date (or has permanently refused)."""
        async with self._locks[ticket_id]:
            ticket = await self._store.ticket(ticket_id)
            refs = await self._store.external_refs(ticket_id)
            done = True
            for connector in self.connectors:
                ref = dict(refs.get(connector.name) or {"id": None, "state": "pending", "attempts": 0, "error": None})
                if ref["state"] != "rejected":
                    try:
                        await self._push_one(connector, ticket, ref)
                    except ConnectorUnavailable as error:
                        ref.update(state="pending", error=str(error)[:300])  # the poll round retries
                        ref["attempts"] = ref.get("attempts", 0) + 1
                        done = False
                        logger.warning("%s: ticket %s not synced yet: %s", connector.name, ticket_id, error)
                    except ConnectorRejected as error:
                        ref.update(state="rejected", error=str(error)[:300])
                        logger.error("%s refused ticket %s: %s", connector.name, ticket_id, error)
                await self._store.set_external_ref(ticket_id, connector.name, ref)
            return done

    async def _push_one(self, connector: TicketConnector, ticket: dict[str, Any], ref: dict[str, Any]) -> None:
        """Updates `ref` in place after each step, so a failure half-way keeps what succeeded."""
        messages = ticket["messages"]
        if not ref["id"]:
            ref["id"] = await connector.create(external_ticket(ticket))
            ref.update(state="synced", error=None, sent_message_id=max((m["id"] for m in messages), default=0))
            logger.info("ticket %s is %s %s", ticket["ticket_id"], connector.name, ref["id"])
        for message in sorted(messages, key=lambda m: m["id"]):
            if message["id"] <= ref.get("sent_message_id", 0):
                continue
            if message["role"] == "user":
                await connector.correspond(ref["id"], message["text"])
            elif message["role"] == "note" or (message["role"] == "agent" and message["source"] == "desk"):
                # What happens on the desk is visible over there as internal comments, never to the shopper twice.
                label = "Desk note" if message["role"] == "note" else "Desk reply to the shopper"
                await connector.comment(ref["id"], f"{label} ({message['author']}): {message['text']}")
            ref["sent_message_id"] = message["id"]
        if ticket["status"] == "closed" and not ref.get("resolved"):
            await connector.resolve(ref["id"])
            ref["resolved"] = True
        ref.update(state="synced", error=None)

    # -- pulling their replies in --------------------------------------------------------------

    async def poll_once(self) -> int:
        """One round over open tickets: retry pushes, fetch new external replies. Returns replies relayed."""
        relayed = 0
        for ticket in await self._store.tickets_to_sync(RESOLVE_WINDOW):
            refs = ticket["external_refs"]
            if any(_owed(refs.get(c.name) or {}) for c in self.connectors):
                await self.push(ticket["ticket_id"])
                refs = await self._store.external_refs(ticket["ticket_id"])
            if ticket["status"] == "closed":
                continue  # only still owed a resolve; replies after the hand-back are not relayed
            for connector in self.connectors:
                relayed += await self._pull(connector, ticket["ticket_id"], refs.get(connector.name) or {})
        return relayed

    async def _pull(self, connector: TicketConnector, ticket_id: int, ref: dict[str, Any]) -> int:
        if not ref.get("id") or ref.get("state") == "rejected":
            return 0
        try:
            replies = await connector.replies_since(ref["id"], ref.get("last_reply"))
        except (ConnectorUnavailable, ConnectorRejected) as error:
            logger.warning("%s: no replies for ticket %s this round: %s", connector.name, ticket_id, error)
            return 0
        relayed = 0
        for reply in replies:
            if self.on_reply is not None and await self.on_reply(
                ticket_id, connector.name, reply.reply_id, reply.text, reply.author
            ):
                relayed += 1
            async with self._locks[ticket_id]:
                latest = dict((await self._store.external_refs(ticket_id)).get(connector.name) or ref)
                latest["last_reply"] = reply.reply_id
                await self._store.set_external_ref(ticket_id, connector.name, latest)
        return relayed

    async def poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval_s)
            try:
                await self.poll_once()
            except Exception:
                logger.exception("external ticket sync round failed")


def _owed(ref: dict[str, Any]) -> bool:
    """Something still has to reach this connector (and it has not refused for good)."""
    return ref.get("state") != "rejected" and (not ref.get("id") or ref.get("state") == "pending")


def ticket_reference(ticket_id: int) -> str:
    """The opaque reference external systems know a ticket by (the desk's ticket number, which the
    shopper is told too). Never the conversation id: that is a bearer credential on the channels."""
    return f"shop-handoff-{ticket_id}"


def external_ticket(ticket: dict[str, Any]) -> ExternalTicket:
    """Summary as subject; the body has what an agent needs without opening the desk.

    Only a verified e-mail (`customer.email`) becomes the requester, whom the external system e-mails;
    a typed one (`customer.unverified_email`) is shown to agents, marked unverified."""
    customer, order = ticket["customer"] or {}, ticket["order"] or {}
    facts = [
        f"Priority: {ticket['priority']} ({NAMES[ticket['priority']]}), reason: {ticket['reason']}, "
        f"frustration: {ticket['frustration']:.2f}",
        f"Channel: {ticket['channel']}, desk ticket: {ticket['ticket_id']}",
    ]
    if ticket["intent"]:
        facts.append(f"Intent: {ticket['intent']}")
    if order:
        facts.append(
            "Order: #{} {} {} {}".format(
                order.get("number"), order.get("status") or "", order.get("total") or "", order.get("currency") or ""
            ).strip()
        )
    known = {k: v for k, v in customer.items() if v and k != "unverified_email"}
    if known:
        facts.append("Customer: " + ", ".join(f"{k}={v}" for k, v in known.items()))
    lines = [
        f"[{m['created_at']}] {m['role']}: {m['text']}"
        for m in ticket["messages"]
        if m["role"] in ("user", "bot", "agent")
    ]
    body = "\n".join([ticket["summary"], "", *facts, "", "Transcript:", *lines])
    subject = ticket["summary"] if len(ticket["summary"]) <= SUBJECT_LENGTH else ticket["summary"][:119] + "…"
    return ExternalTicket(
        reference=ticket_reference(ticket["ticket_id"]),
        subject=subject,
        body=body,
        requester_email=customer.get("email") or None,
        requester_name=customer.get("name"),
        priority=ticket["priority"],
        tags=("handoff", ticket["reason"], ticket["channel"]),
        unverified_email=customer.get("unverified_email") or None,
    )
