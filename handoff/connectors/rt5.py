"""Request Tracker 5 through its REST2 API (RT is GPL-2 and runs as a separate service; we only call HTTP).

Replies are Correspond transactions by privileged RT users other than our API user; the transaction
id is the reply id, so `after` is a cheap server-side filter (`id > after`)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Self

import aiohttp
from pydantic import BeforeValidator, Field, model_validator
from pydantic_settings import NoDecode

from handoff.connectors.base import ConnectorRejected, ExternalReply, ExternalTicket, check_priority
from handoff.connectors.http import DEFAULT_TIMEOUT_S, JsonHttp
from handoff.connectors.text import html_to_text, one_line, parse_timestamp, ticket_header, tidy
from settings_kit.settings import ServiceSettings

logger = logging.getLogger(__name__)

REST_PATH = "REST/2.0/"
PAGE_SIZE = 100  # REST2's maximum per_page
# RT 5's stock %PriorityAsString is Low=0, Medium=50, High=100; "urgent" also maps to High.
DEFAULT_PRIORITIES = (0, 50, 100, 100)
TOKEN_USER_ID = re.compile(r"^1-([0-9]+)-[0-9a-f]{32}$", re.IGNORECASE)


def _four_levels(value: Any) -> Any:
    """RT5_PRIORITIES: four comma-separated numbers, low..urgent."""
    if not isinstance(value, str):
        return value
    try:
        levels = tuple(int(part) for part in value.split(","))
    except ValueError:
        levels = ()
    if len(levels) != 4:
        raise ValueError(f"must be four comma-separated numbers (low..urgent), got {value!r}")
    return levels


class RT5Settings(ServiceSettings):
    """From RT5_* and HANDOFF_CONNECTOR_TIMEOUT_S."""

    url: str = Field("", validation_alias="RT5_URL")  # RT's web root, e.g. https://rt.example.com or .../rt
    user: str | None = Field(None, validation_alias="RT5_USER")
    password: str | None = Field(None, repr=False, validation_alias="RT5_PASSWORD")
    token: str | None = Field(None, repr=False, validation_alias="RT5_TOKEN")
    queue: str = Field("General", validation_alias="RT5_QUEUE")
    priorities: Annotated[tuple[int, int, int, int], NoDecode, BeforeValidator(_four_levels)] = Field(
        DEFAULT_PRIORITIES, validation_alias="RT5_PRIORITIES"
    )
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0, validation_alias="HANDOFF_CONNECTOR_TIMEOUT_S")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if not self.url:
            raise ValueError("RT5_URL is required for the rt5 connector")
        if not self.token and not (self.user and self.password):
            raise ValueError("the rt5 connector needs RT5_USER and RT5_PASSWORD, or RT5_TOKEN")
        return self

    @property
    def api_url(self) -> str:
        root = self.url.rstrip("/")
        return root + "/" if root.endswith("/REST/2.0") else f"{root}/{REST_PATH}"


@dataclass(frozen=True)
class _Author:
    display: str
    privileged: bool


def _ticket_id(external_id: str) -> str:
    if not external_id.isdigit():
        raise ValueError(f"RT ticket ids are numbers, got {external_id!r}")
    return external_id


def _after_id(after: str | None) -> int:
    if after is None or after == "":
        return 0
    if not after.isdigit():
        raise ValueError(f"`after` must be an RT transaction id (a reply_id from this connector), got {after!r}")
    return int(after)


class RT5Connector:
    name = "rt5"

    def __init__(self, settings: RT5Settings) -> None:
        self.settings = settings
        if settings.token:
            auth, headers, hint = None, {"Authorization": f"token {settings.token}"}, "RT5_TOKEN"
        else:
            auth = aiohttp.BasicAuth(settings.user or "", settings.password or "")
            headers, hint = {}, "RT5_USER/RT5_PASSWORD"
        self.http = JsonHttp(
            "RT5", settings.api_url, auth=auth, headers=headers, credentials_hint=hint, timeout_s=settings.timeout_s
        )
        self._me: str | None = settings.user.casefold() if settings.user and not settings.token else None
        self._authors: dict[str, _Author] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RT5Connector:
        return cls(RT5Settings.from_env(env))

    def __repr__(self) -> str:
        return f"RT5Connector({self.settings.api_url!r}, queue={self.settings.queue!r})"

    async def create(self, ticket: ExternalTicket) -> str:
        header = ticket_header(ticket)
        body: dict[str, Any] = {
            "Queue": self.settings.queue,
            "Subject": one_line(ticket.subject) or "Handoff from the shop assistant",
            "Content": f"{header}\n\n{ticket.body}",
            "ContentType": "text/plain",
            "Priority": self.settings.priorities[check_priority(ticket.priority) - 1],
        }
        if ticket.requester_email:
            body["Requestor"] = ticket.requester_email
        _, created = await self.http.call("POST", "ticket", json_body=body, idempotent=False)
        ticket_id = str(created.get("id", "")) if isinstance(created, dict) else ""
        if not ticket_id.isdigit():
            raise ConnectorRejected(f"RT5: POST /ticket answered without a ticket id: {created!r:.200}", 502)
        logger.info("RT5 ticket %s created for %s", ticket_id, ticket.reference)
        return ticket_id

    async def correspond(self, external_id: str, text: str) -> None:
        await self._message(external_id, "correspond", text)

    async def comment(self, external_id: str, text: str) -> None:
        await self._message(external_id, "comment", text)

    async def _message(self, external_id: str, kind: str, text: str) -> None:
        body = {"Content": text, "ContentType": "text/plain"}
        await self.http.call("POST", f"ticket/{_ticket_id(external_id)}/{kind}", json_body=body, idempotent=False)

    async def replies_since(self, external_id: str, after: str | None) -> list[ExternalReply]:
        ticket_id, after_id = _ticket_id(external_id), _after_id(after)
        me = await self._own_name()
        replies = []
        for transaction in await self._correspondence(ticket_id, after_id):
            creator = str((transaction.get("Creator") or {}).get("id", ""))
            if not creator or creator.casefold() == me:
                continue
            author = await self._author(creator)
            if not author.privileged:  # the shopper answering RT's e-mail is not an agent reply
                continue
            text = await self._transaction_text(str(transaction["id"]))
            if text:
                replies.append(
                    ExternalReply(
                        reply_id=str(transaction["id"]),
                        author=author.display,
                        text=text,
                        created_at=parse_timestamp(str(transaction.get("Created", ""))),
                    )
                )
        return replies

    async def _correspondence(self, ticket_id: str, after_id: int) -> list[dict[str, Any]]:
        """Correspond transactions newer than `after_id`, oldest first (filtered by RT and again here)."""
        query = json.dumps(
            [{"field": "Type", "value": "Correspond"}, {"field": "id", "operator": ">", "value": str(after_id)}]
        )
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {
                "query": query,
                "fields": "Type,Creator,Created",
                "per_page": str(PAGE_SIZE),
                "page": str(page),
                "orderby": "id",
            }
            _, listing = await self.http.call("GET", f"ticket/{ticket_id}/history", params=params, idempotent=True)
            items = listing.get("items", []) if isinstance(listing, dict) else []
            found += [
                item
                for item in items
                if item.get("Type") == "Correspond" and str(item.get("id", "")).isdigit() and int(item["id"]) > after_id
            ]
            # Without SuperUser RT reports no page count, so a full page means "ask for the next one".
            if len(items) < PAGE_SIZE:
                return sorted(found, key=lambda item: int(item["id"]))
            page += 1

    async def _transaction_text(self, transaction_id: str) -> str:
        """The reply as plain text: the text/plain part if there is one, else the text/html part stripped."""
        params = {"fields": "ContentType,Content,Filename", "per_page": str(PAGE_SIZE)}
        _, listing = await self.http.call(
            "GET", f"transaction/{transaction_id}/attachments", params=params, idempotent=True
        )
        parts = listing.get("items", []) if isinstance(listing, dict) else []
        for content_type, convert in (("text/plain", tidy), ("text/html", html_to_text)):
            for part in parts:
                if str(part.get("ContentType", "")).lower() == content_type and not part.get("Filename"):
                    text = convert(str(part.get("Content") or ""))
                    if text:
                        return text
        files = [str(part["Filename"]) for part in parts if part.get("Filename")]
        return f"(attachment: {', '.join(files)})" if files else ""

    async def _own_name(self) -> str:
        """Our RT user name, to leave out our own correspondence; token auth has to ask RT once."""
        if self._me is None:
            match = TOKEN_USER_ID.match(self.settings.token or "")
            if not match:
                raise ValueError("RT5_TOKEN does not look like an RT 5 auth token (1-<user id>-<32 hex>)")
            _, user = await self.http.call("GET", f"user/{match.group(1)}", idempotent=True)
            self._me = str((user or {}).get("Name", "")).casefold()
        return self._me

    async def _author(self, name: str) -> _Author:
        if name not in self._authors:
            try:
                _, user = await self.http.call("GET", f"user/{name}", idempotent=True)
            except ConnectorRejected as exc:  # cannot see the user: show the login name, trust the ACL
                logger.info("RT5: cannot look up user %s (%s)", name, exc)
                user = None
            user = user if isinstance(user, dict) else {}
            display = str(user.get("RealName") or user.get("Name") or name)
            self._authors[name] = _Author(display, bool(int(user.get("Privileged", 1) or 0)))
        return self._authors[name]

    async def resolve(self, external_id: str) -> None:
        path = f"ticket/{_ticket_id(external_id)}"
        _, results = await self.http.call("PUT", path, json_body={"Status": "resolved"}, idempotent=True)
        # RT answers 200 with a list of messages even when a change was refused, so read the ticket back.
        _, ticket = await self.http.call("GET", path, idempotent=True)
        status = (ticket or {}).get("Status")
        if status != "resolved":
            raise ConnectorRejected(f"RT5: ticket {external_id} is still {status!r} after resolve: {results}", 409)

    async def aclose(self) -> None:
        await self.http.aclose()
