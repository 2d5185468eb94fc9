"""The ticket store: every state change is one transaction; results are plain JSON-ready dicts.

Race-safety lives in the database, not in the process: "one open ticket per conversation" is a unique
index (`open_key`), and "one agent holds a conversation" is a conditional UPDATE whose row count says
who won, so it holds with several desk processes on one PostgreSQL too."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff.models import (
    EXTERNAL_REPLY_INDEX,
    OPEN_STATUSES,
    QUEUED_STATUSES,
    Agent,
    AuditEvent,
    Message,
    Ticket,
)
from service_kit.db import rows_changed
from service_kit.errors import Invalid, NotFound, Refused

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
RELAYED_ROLES = ("agent", "system")
# What the spec's "format": "date-time" promises (RFC 3339); fromisoformat alone would also take "",
# a bare date, basic formats and times without an offset, none of which the spec allows.
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds") + "Z"


def rfc3339_utc(value: str) -> datetime:
    """An RFC 3339 date-time as naive UTC; ValueError or OverflowError (month 13, year 1 shifted out
    of range) otherwise. Also the request validator's "date-time" format check (api.py)."""
    if not RFC3339.fullmatch(value):
        raise ValueError(f"not an RFC 3339 date-time: {value[:40]!r}")
    return datetime.fromisoformat(value.upper()).astimezone(UTC).replace(tzinfo=None)


def parse_timestamp(value: Any, default: datetime) -> datetime:
    """Rasa sends unix seconds, other callers RFC 3339 date-times; both become naive UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            raise Invalid(f"Invalid timestamp {value!r}: out of range.") from None
    if isinstance(value, str):
        try:
            return rfc3339_utc(value)
        except (ValueError, OverflowError):
            raise Invalid(
                f"Invalid timestamp {value[:40]!r}: use unix seconds or an RFC 3339 date-time "
                "such as 2026-03-04T10:00:00Z."
            ) from None
    return default


def ticket_dict(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "conversation_id": ticket.conversation_id,
        "channel": ticket.channel,
        "status": ticket.status,
        "priority": ticket.priority,
        "reason": ticket.reason,
        "frustration": ticket.frustration,
        "customer": ticket.customer,
        "order": ticket.order,
        "intent": ticket.intent,
        "entities": ticket.entities,
        "sentiment_history": ticket.sentiment_history,
        "summary": ticket.summary,
        "assigned_agent": ticket.assigned_agent,
        "created_at": iso(ticket.created_at),
        "taken_at": iso(ticket.taken_at),
        "closed_at": iso(ticket.closed_at),
        "external": {
            name: {k: ref.get(k) for k in ("id", "state", "error")} for name, ref in ticket.external_refs.items()
        },
    }


def message_dict(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "ticket_id": message.ticket_id,
        "role": message.role,
        "kind": message.kind,
        "text": message.text,
        "author": message.author,
        "source": message.source,
        "created_at": iso(message.created_at),
        "delivered": message.delivered,
        "delivered_as": message.delivered_as,
        "delivery_error": message.delivery_error,
    }


class TicketStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def ping(self) -> str:
        async with self._sessions() as session:
            await session.execute(select(1))
        return "ok"

    # -- tickets from the bot ------------------------------------------------------------------

    async def open_ticket(
        self, fields: Mapping[str, Any], transcript: Sequence[Mapping[str, Any]]
    ) -> tuple[dict, bool]:
        """Creates the conversation's ticket, or updates the open one (returns created=False).

        `fields` are the Ticket columns the caller computed (status, priority, summary, …)."""
        for _ in range(3):
            existing = await self._update_open(fields, transcript)
            if existing is not None:
                return existing, False
            try:
                return await self._create(fields, transcript), True
            except IntegrityError:
                logger.info("handoff for %s raced another one; using the ticket it created", fields["conversation_id"])
        raise Refused("The conversation's ticket is being changed by another request; try again.")

    async def _create(self, fields: Mapping[str, Any], transcript: Sequence[Mapping[str, Any]]) -> dict:
        now = self._clock()
        async with self._sessions.begin() as session:
            ticket = Ticket(
                **fields, open_key=fields["conversation_id"], created_at=now, assigned_agent=None, external_refs={}
            )
            session.add(ticket)
            await session.flush()
            session.add_all(self._transcript_rows(ticket.id, transcript, now))
            session.add(
                self._audit("bot", ticket.id, "opened", {"reason": fields["reason"], "status": fields["status"]})
            )
            return ticket_dict(ticket)

    async def _update_open(self, fields: Mapping[str, Any], transcript: Sequence[Mapping[str, Any]]) -> dict | None:
        now = self._clock()
        async with self._sessions.begin() as session:
            ticket = await self._open_for(session, fields["conversation_id"], lock=True)
            if ticket is None:
                return None
            ticket.frustration = max(ticket.frustration, fields["frustration"])
            ticket.priority = max(ticket.priority, fields["priority"])
            if len(fields["sentiment_history"]) >= len(ticket.sentiment_history):
                ticket.sentiment_history = list(fields["sentiment_history"])
            for name in ("intent", "order"):
                if fields.get(name):
                    setattr(ticket, name, fields[name])
            if fields["entities"]:
                ticket.entities = list(fields["entities"])
            known = {
                (m.role, m.text, m.created_at)
                for m in (await session.scalars(select(Message).where(Message.ticket_id == ticket.id))).all()
            }
            rows = [
                row
                for row in self._transcript_rows(ticket.id, transcript, now)
                if (row.role, row.text, row.created_at) not in known
            ]
            session.add_all(rows)
            session.add(self._audit("bot", ticket.id, "handoff_repeated", {"new_lines": len(rows)}))
            return ticket_dict(ticket)

    def _transcript_rows(self, ticket_id: int, transcript: Sequence[Mapping[str, Any]], now: datetime) -> list[Message]:
        return [
            Message(
                ticket_id=ticket_id,
                role=line["role"],
                kind="text",
                text=line["text"],
                author=None,
                source="bot",
                external_id=None,
                created_at=parse_timestamp(line.get("timestamp"), now),
                delivered=True,
            )
            for line in transcript
        ]

    async def add_shopper_message(
        self, conversation_id: str, text: str, timestamp: Any, key: str | None = None
    ) -> tuple[dict, dict, bool]:
        """(ticket, message, created). With `key` (the sender's idempotency key, kept in `external_id`)
        a re-sent message returns the one stored before, so a retry after a lost answer adds nothing."""
        now = self._clock()
        async with self._sessions.begin() as session:
            ticket = await self._open_for(session, conversation_id, lock=key is not None)
            if ticket is None:
                raise NotFound(f"No open handoff for conversation {conversation_id!r}; the bot should answer it.")
            if key is not None:
                seen = await session.scalar(
                    select(Message).where(
                        Message.ticket_id == ticket.id, Message.role == "user", Message.external_id == key
                    )
                )
                if seen is not None:
                    return ticket_dict(ticket), message_dict(seen), False
            message = self._message(
                ticket.id, "user", text, None, external_id=key, created_at=parse_timestamp(timestamp, now)
            )
            session.add(message)
            await session.flush()
            return ticket_dict(ticket), message_dict(message), True

    async def _open_for(self, session: AsyncSession, conversation_id: str, lock: bool = False) -> Ticket | None:
        query = select(Ticket).where(Ticket.open_key == conversation_id)
        return await session.scalar(query.with_for_update() if lock else query)

    # -- the desk ------------------------------------------------------------------------------

    async def queue(self) -> list[dict]:
        """Waiting and follow-up tickets, most urgent first, then oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Ticket)
                .where(Ticket.status.in_(QUEUED_STATUSES))
                .order_by(Ticket.priority.desc(), Ticket.created_at, Ticket.id)
            )
            return [ticket_dict(t) for t in rows.all()]

    async def queue_depths(self) -> dict[str, int]:
        """How many tickets wait per queued status (the desk's queue-depth gauge)."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Ticket.status, func.count()).where(Ticket.status.in_(QUEUED_STATUSES)).group_by(Ticket.status)
            )
            counts = {str(status): int(count) for status, count in rows.all()}
        return {status: counts.get(status, 0) for status in QUEUED_STATUSES}

    async def queue_position(self, ticket_id: int) -> int | None:
        """1-based place among waiting tickets; None unless the ticket is waiting."""
        async with self._sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None or ticket.status != "waiting":
                return None
            ahead = await session.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(
                    Ticket.status == "waiting",
                    (Ticket.priority > ticket.priority)
                    | ((Ticket.priority == ticket.priority) & (Ticket.created_at < ticket.created_at))
                    | (
                        (Ticket.priority == ticket.priority)
                        & (Ticket.created_at == ticket.created_at)
                        & (Ticket.id < ticket.id)
                    ),
                )
            )
            return int(ahead or 0) + 1

    async def held_by(self, agent: str) -> list[dict]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Ticket).where(Ticket.status == "held", Ticket.assigned_agent == agent).order_by(Ticket.taken_at)
            )
            return [ticket_dict(t) for t in rows.all()]

    async def ticket(self, ticket_id: int, with_messages: bool = True) -> dict:
        async with self._sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(f"There is no ticket {ticket_id}.")
            result = ticket_dict(ticket)
            if with_messages:
                rows = await session.scalars(
                    select(Message).where(Message.ticket_id == ticket_id).order_by(Message.created_at, Message.id)
                )
                result["messages"] = [message_dict(m) for m in rows.all()]
            return result

    async def take(self, ticket_id: int, agent: str) -> tuple[dict, bool]:
        """(ticket, newly_taken). Exactly one agent wins; the holder taking again is a no-op."""
        now = self._clock()
        async with self._sessions.begin() as session:
            taken = await rows_changed(
                session,
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.status.in_(QUEUED_STATUSES))
                .values(status="held", assigned_agent=agent, taken_at=now),
            )
            ticket = await session.get(Ticket, ticket_id, populate_existing=True)
            if ticket is None:
                raise NotFound(f"There is no ticket {ticket_id}.")
            if taken == 1:
                session.add(self._audit(agent, ticket_id, "taken", {}))
                return ticket_dict(ticket), True
            if ticket.status == "held" and ticket.assigned_agent == agent:
                return ticket_dict(ticket), False
            if ticket.status == "held":
                raise Refused(f"{ticket.assigned_agent} has already taken this conversation.", code="already_taken")
            raise Refused("This conversation is closed.", code="closed")

    async def add_message(
        self,
        ticket_id: int,
        role: str,
        text: str,
        author: str | None,
        *,
        kind: str = "text",
        source: str = "desk",
        external_id: str | None = None,
        holder: str | None = None,
    ) -> dict:
        """Agent replies and system relays start undelivered. With `holder`, only that agent may write."""
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(f"There is no ticket {ticket_id}.")
            if holder is not None and (ticket.status != "held" or ticket.assigned_agent != holder):
                raise Refused("Take the conversation before replying to the shopper.", code="not_holder")
            if role == "note" and ticket.status == "closed":
                raise Refused("This conversation is closed.", code="closed")
            message = self._message(ticket_id, role, text, author, kind=kind, source=source, external_id=external_id)
            session.add(message)
            await session.flush()
            return message_dict(message)

    async def close(self, ticket_id: int, agent: str, author: str) -> tuple[dict, dict]:
        """Closes the ticket and queues the "release" relay that hands the conversation back to the bot."""
        now = self._clock()
        async with self._sessions.begin() as session:
            closed = await rows_changed(
                session,
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.status == "held", Ticket.assigned_agent == agent)
                .values(status="closed", open_key=None, closed_at=now),
            )
            ticket = await session.get(Ticket, ticket_id, populate_existing=True)
            if ticket is None:
                raise NotFound(f"There is no ticket {ticket_id}.")
            if closed != 1:
                if ticket.status == "closed":
                    raise Refused("This conversation is already closed.", code="closed")
                raise Refused("Only the agent holding the conversation can hand it back.", code="not_holder")
            release = self._message(ticket_id, "system", "handed back to the assistant", author, kind="release")
            session.add(release)
            session.add(self._audit(agent, ticket_id, "closed", {}))
            await session.flush()
            return ticket_dict(ticket), message_dict(release)

    # -- delivery to the shopper ---------------------------------------------------------------

    async def undelivered(self, ticket_id: int | None = None, include_refused: bool = True) -> list[dict]:
        """Relays still owed to shoppers (of one ticket, or all), oldest first, with what the relay needs.
        Without `include_refused`, messages Rasa refused for good are left out (the automatic retry)."""
        query = (
            select(Message, Ticket.conversation_id)
            .join(Ticket, Ticket.id == Message.ticket_id)
            .where(Message.role.in_(RELAYED_ROLES), Message.delivered.is_(False))
            .order_by(Message.id)
        )
        if ticket_id is not None:
            query = query.where(Message.ticket_id == ticket_id)
        if not include_refused:
            query = query.where(Message.delivered_as.is_(None))
        async with self._sessions() as session:
            rows = await session.execute(query)
            return [{**message_dict(m), "conversation_id": cid} for m, cid in rows.all()]

    async def message(self, message_id: int) -> dict:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(Message, Ticket.conversation_id)
                    .join(Ticket, Ticket.id == Message.ticket_id)
                    .where(Message.id == message_id)
                )
            ).first()
            if row is None:
                raise NotFound(f"There is no message {message_id}.")
            return {**message_dict(row[0]), "conversation_id": row[1]}

    async def mark_delivery(self, message_id: int, delivered_as: str | None, error: str | None) -> dict:
        """`delivered_as` "live" / "stored" when Rasa took it; "refused" (with the error) when it never
        will; None with an error when it may later."""
        async with self._sessions.begin() as session:
            message = await session.get(Message, message_id)
            if message is None:
                raise NotFound(f"There is no message {message_id}.")
            message.delivered = delivered_as in ("live", "stored")
            message.delivered_as = delivered_as
            message.delivery_error = None if error is None else error[:300]
            return message_dict(message)

    # -- external ticket systems ---------------------------------------------------------------

    async def tickets_to_sync(self, closed_within: timedelta) -> list[dict]:
        """Open tickets, plus recently closed ones whose external copies are not all resolved yet."""
        since = self._clock() - closed_within
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Ticket)
                .where(Ticket.status.in_(OPEN_STATUSES) | ((Ticket.status == "closed") & (Ticket.closed_at >= since)))
                .order_by(Ticket.id)
            )
            return [
                {**ticket_dict(t), "external_refs": t.external_refs}
                for t in rows.all()
                if t.status != "closed"
                or any(not ref.get("resolved") and ref.get("state") != "rejected" for ref in t.external_refs.values())
            ]

    async def external_refs(self, ticket_id: int) -> dict[str, Any]:
        async with self._sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            return {} if ticket is None else dict(ticket.external_refs)

    async def set_external_ref(self, ticket_id: int, connector: str, ref: Mapping[str, Any]) -> None:
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id, with_for_update=True)
            if ticket is not None:
                ticket.external_refs = {**ticket.external_refs, connector: dict(ref)}

    async def messages_after(self, ticket_id: int, after_id: int, roles: Sequence[str]) -> list[dict]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Message)
                .where(Message.ticket_id == ticket_id, Message.id > after_id, Message.role.in_(roles))
                .order_by(Message.id)
            )
            return [message_dict(m) for m in rows.all()]

    async def add_external_reply(
        self, ticket_id: int, connector: str, external_id: str, text: str, author: str
    ) -> dict | None:
        """Stores an agent reply made in an external system once; None when it was already stored (also
        when another delivery of it is stored at the same moment: the unique index decides)."""
        try:
            async with self._sessions.begin() as session:
                seen = await session.scalar(
                    select(Message.id).where(
                        Message.ticket_id == ticket_id, Message.source == connector, Message.external_id == external_id
                    )
                )
                if seen is not None:
                    return None
                message = self._message(ticket_id, "agent", text, author, source=connector, external_id=external_id)
                session.add(message)
                await session.flush()
                return message_dict(message)
        except IntegrityError as error:
            if EXTERNAL_REPLY_INDEX not in str(error) and "messages.external_id" not in str(error):
                raise  # not a second delivery (PostgreSQL names the index, SQLite the columns)
            return None

    # -- agents and audit ----------------------------------------------------------------------

    async def agent(self, name: str) -> Agent | None:
        async with self._sessions() as session:
            return await session.scalar(select(Agent).where(Agent.name == name))

    async def upsert_agent(self, name: str, display_name: str, password_hash: str) -> bool:
        """Creates the agent or sets a new password (ending their sessions); True when created."""
        async with self._sessions.begin() as session:
            agent = await session.scalar(select(Agent).where(Agent.name == name))
            if agent is None:
                session.add(
                    Agent(
                        name=name,
                        display_name=display_name,
                        password_hash=password_hash,
                        active=True,
                        session_version=0,
                        created_at=self._clock(),
                    )
                )
                session.add(self._audit("system", None, "agent_created", {"agent": name}))
                return True
            agent.password_hash = password_hash
            agent.display_name = display_name or agent.display_name
            agent.session_version += 1
            session.add(self._audit("system", None, "agent_password_set", {"agent": name}))
            return False

    async def set_agent_active(self, name: str, active: bool) -> None:
        async with self._sessions.begin() as session:
            agent = await session.scalar(select(Agent).where(Agent.name == name))
            if agent is None:
                raise NotFound(f"There is no agent {name!r}.")
            agent.active = active
            agent.session_version += 1

    async def end_sessions(self, name: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(Agent).where(Agent.name == name).values(session_version=Agent.session_version + 1)
            )

    async def list_agents(self) -> list[dict]:
        async with self._sessions() as session:
            rows = await session.scalars(select(Agent).order_by(Agent.name))
            return [{"name": a.name, "display_name": a.display_name, "active": a.active} for a in rows.all()]

    async def audit(self, actor: str, ticket_id: int | None, action: str, detail: Mapping[str, Any]) -> None:
        async with self._sessions.begin() as session:
            session.add(self._audit(actor, ticket_id, action, detail))

    async def audit_trail(self, ticket_id: int) -> list[dict]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AuditEvent).where(AuditEvent.ticket_id == ticket_id).order_by(AuditEvent.id)
            )
            return [{"at": iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail} for e in rows.all()]

    def _audit(self, actor: str, ticket_id: int | None, action: str, detail: Mapping[str, Any]) -> AuditEvent:
        return AuditEvent(at=self._clock(), actor=actor, ticket_id=ticket_id, action=action, detail=dict(detail))

    def _message(
        self,
        ticket_id: int,
        role: str,
        text: str,
        author: str | None,
        *,
        kind: str = "text",
        source: str = "desk",
        external_id: str | None = None,
        created_at: datetime | None = None,
    ) -> Message:
        return Message(
            ticket_id=ticket_id,
            role=role,
            kind=kind,
            text=text,
            author=author,
            source=source if role != "user" else "bot",
            external_id=external_id,
            created_at=created_at or self._clock(),
            delivered=role not in RELAYED_ROLES,
            delivered_as=None,
            delivery_error=None,
        )
