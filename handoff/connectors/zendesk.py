"""Zendesk Support API v2 (and compatible help desks): tickets, comments, API-token basic auth.

Reference: https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ and
https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/ . The shopper's new
messages are posted as public comments authored by the requester, so Zendesk does not e-mail the
shopper their own words and they are never mistaken for agent replies."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any, Self

import aiohttp
from pydantic import Field, model_validator

from handoff.connectors.base import ConnectorRejected, ExternalReply, ExternalTicket, check_priority
from handoff.connectors.http import DEFAULT_TIMEOUT_S, JsonHttp
from handoff.connectors.text import html_to_text, one_line, parse_timestamp, ticket_header, tidy
from settings_kit.settings import ServiceSettings

logger = logging.getLogger(__name__)

PRIORITIES = ("low", "normal", "high", "urgent")
AGENT_ROLES = frozenset({"agent", "admin"})
PAGE_SIZE = 100


class ZendeskSettings(ServiceSettings):
    """From ZENDESK_* and HANDOFF_CONNECTOR_TIMEOUT_S."""

    url: str = Field("", validation_alias="ZENDESK_URL")  # e.g. https://yourshop.zendesk.com
    email: str = Field("", validation_alias="ZENDESK_EMAIL")
    api_token: str = Field("", repr=False, validation_alias="ZENDESK_API_TOKEN")
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0, validation_alias="HANDOFF_CONNECTOR_TIMEOUT_S")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = [name for name, value in (("ZENDESK_URL", self.url), ("ZENDESK_EMAIL", self.email)) if not value]
        if not self.api_token:
            missing.append("ZENDESK_API_TOKEN")
        if missing:
            raise ValueError(f"the zendesk connector needs {', '.join(missing)}")
        return self


def _ticket_id(external_id: str) -> str:
    if not external_id.isdigit():
        raise ValueError(f"Zendesk ticket ids are numbers, got {external_id!r}")
    return external_id


def zendesk_tag(tag: str) -> str:
    """Zendesk tags are single words: lower case, spaces become underscores."""
    return re.sub(r"[^\w:/.-]+", "_", tag.strip().lower()).strip("_")


class ZendeskConnector:
    name = "zendesk"

    def __init__(self, settings: ZendeskSettings) -> None:
        self.settings = settings
        self.http = JsonHttp(
            "Zendesk",
            settings.url,
            auth=aiohttp.BasicAuth(f"{settings.email}/token", settings.api_token),
            credentials_hint="ZENDESK_EMAIL/ZENDESK_API_TOKEN",
            timeout_s=settings.timeout_s,
        )
        self._me: int | None = None
        self._requesters: dict[str, int] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ZendeskConnector:
        return cls(ZendeskSettings.from_env(env))

    def __repr__(self) -> str:
        return f"ZendeskConnector({self.settings.url!r})"

    async def create(self, ticket: ExternalTicket) -> str:
        header = ticket_header(ticket)
        body: dict[str, Any] = {
            "subject": one_line(ticket.subject) or "Handoff from the shop assistant",
            # The transcript is for agents; the shopper has seen the chat already.
            "comment": {"body": f"{header}\n\n{ticket.body}", "public": False},
            "priority": PRIORITIES[check_priority(ticket.priority) - 1],
            "tags": sorted({zendesk_tag(tag) for tag in ticket.tags} - {""}),
            "external_id": ticket.reference,
        }
        if ticket.requester_email:
            name = ticket.requester_name or ticket.requester_email.split("@")[0]
            body["requester"] = {"name": name, "email": ticket.requester_email}
        # Zendesk de-duplicates creates by Idempotency-Key, so this POST may be retried safely.
        headers = {"Idempotency-Key": f"{ticket.reference}:{uuid.uuid4().hex}"}
        _, created = await self.http.call(
            "POST", "api/v2/tickets.json", json_body={"ticket": body}, headers=headers, idempotent=True
        )
        record = (created or {}).get("ticket") or {}
        ticket_id = str(record.get("id", ""))
        if not ticket_id.isdigit():
            raise ConnectorRejected(f"Zendesk: POST /api/v2/tickets.json gave no ticket id: {created!r:.200}", 502)
        if isinstance(record.get("requester_id"), int):
            self._requesters[ticket_id] = record["requester_id"]
        logger.info("Zendesk ticket %s created for %s", ticket_id, ticket.reference)
        return ticket_id

    async def correspond(self, external_id: str, text: str) -> None:
        requester = await self._requester(external_id)
        await self._update(external_id, {"comment": {"body": text, "public": True, "author_id": requester}})

    async def comment(self, external_id: str, text: str) -> None:
        await self._update(external_id, {"comment": {"body": text, "public": False}})

    async def resolve(self, external_id: str) -> None:
        await self._update(external_id, {"status": "solved"}, idempotent=True)

    async def _update(self, external_id: str, ticket: dict[str, Any], *, idempotent: bool = False) -> None:
        path = f"api/v2/tickets/{_ticket_id(external_id)}.json"
        await self.http.call("PUT", path, json_body={"ticket": ticket}, idempotent=idempotent)

    async def _requester(self, external_id: str) -> int:
        if external_id not in self._requesters:
            _, found = await self.http.call("GET", f"api/v2/tickets/{_ticket_id(external_id)}.json", idempotent=True)
            requester = ((found or {}).get("ticket") or {}).get("requester_id")
            if not isinstance(requester, int):
                raise ConnectorRejected(f"Zendesk: ticket {external_id} has no requester_id", 502)
            self._requesters[external_id] = requester
        return self._requesters[external_id]

    async def _own_id(self) -> int:
        if self._me is None:
            _, found = await self.http.call("GET", "api/v2/users/me.json", idempotent=True)
            me = ((found or {}).get("user") or {}).get("id")
            if not isinstance(me, int):
                raise ConnectorRejected("Zendesk: /api/v2/users/me.json did not say who we are", 502)
            self._me = me
        return self._me

    async def replies_since(self, external_id: str, after: str | None) -> list[ExternalReply]:
        if after and not after.isdigit():
            raise ValueError(f"`after` must be a Zendesk comment id (a reply_id from this connector), got {after!r}")
        after_id, me = int(after or 0), await self._own_id()
        replies: list[ExternalReply] = []
        url: str | None = f"api/v2/tickets/{_ticket_id(external_id)}/comments.json"
        params: dict[str, str] | None = {"include": "users", "per_page": str(PAGE_SIZE)}
        while url:
            _, page = await self.http.call("GET", url, params=params, idempotent=True)
            page = page if isinstance(page, dict) else {}
            users = {user.get("id"): user for user in page.get("users") or [] if isinstance(user, dict)}
            for item in page.get("comments") or []:
                reply = _agent_reply(item, users, me, after_id)
                if reply is not None:
                    replies.append(reply)
            url, params = _next_page(page), None  # next_page already carries the query
        return sorted(replies, key=lambda reply: int(reply.reply_id))

    async def aclose(self) -> None:
        await self.http.aclose()


def _agent_reply(
    item: dict[str, Any], users: dict[Any, dict[str, Any]], me: int, after_id: int
) -> ExternalReply | None:
    """The comment as an agent reply, or None for notes, old comments, our own and end users' comments."""
    author = users.get(item.get("author_id"), {})
    if (
        not item.get("public")
        or int(item.get("id", 0)) <= after_id
        or item.get("author_id") == me
        or (author and author.get("role") not in AGENT_ROLES)  # e.g. the shopper answering by e-mail
    ):
        return None
    text = tidy(item.get("plain_body") or "") or html_to_text(item.get("html_body") or item.get("body") or "")
    files = [str(file.get("file_name")) for file in item.get("attachments") or [] if isinstance(file, dict)]
    if not text and files:
        text = f"(attachment: {', '.join(files)})"
    return ExternalReply(
        reply_id=str(item["id"]),
        author=str(author.get("name") or item.get("author_id")),
        text=text,
        created_at=parse_timestamp(str(item.get("created_at", ""))),
    )


def _next_page(page: dict[str, Any]) -> str | None:
    """Offset pagination says next_page (a full URL); cursor pagination says links.next while meta.has_more."""
    if page.get("next_page"):
        return str(page["next_page"])
    if (page.get("meta") or {}).get("has_more"):
        return (page.get("links") or {}).get("next")
    return None
