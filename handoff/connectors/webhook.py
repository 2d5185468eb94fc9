"""A generic, signed webhook for help desks we have no connector for (docs/ticket-connectors.md).

Outbound: every desk event is a JSON POST to WEBHOOK_URL, signed with HMAC-SHA256 over a timestamp and
the raw body (`X-Signature-SHA256: t=<unix seconds>,v1=<hex of HMAC("<t>." + body)>`, the scheme Stripe
uses) and carrying an `Idempotency-Key` that stays the same across our retries. Inbound: the other system
POSTs agent replies, signed the same way, to the desk route `POST /connectors/webhook/replies` (mounted by
handoff/app.py); a signature older than WEBHOOK_TOLERANCE_S or seen before is refused, so a captured
request cannot be replayed. A reply is answered 202 only once the desk has stored it in the ticket
database (the `on_reply` callback), so a desk that dies right after the 202 loses nothing; when storing
fails the sender gets a 503 and its retry is accepted. The ReplyInbox only bridges to `replies_since`."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Self

from aiohttp import web
from pydantic import Field, model_validator

from handoff.connectors.base import ExternalReply, ExternalTicket, check_priority
from handoff.connectors.http import DEFAULT_TIMEOUT_S, JsonHttp
from handoff.connectors.text import html_to_text, one_line, parse_timestamp, tidy
from service_kit.http import error_response
from settings_kit.settings import ServiceSettings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature-SHA256"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Webhook-Event"
PRIORITY_NAMES = ("low", "normal", "high", "urgent")
MAX_INBOUND_BYTES = 256 * 1024
MAX_TEXT_CHARS = 20_000
DEFAULT_TOLERANCE_S = 300.0
INBOUND_PATH = "/connectors/webhook/replies"


class WebhookSettings(ServiceSettings):
    """From WEBHOOK_* and HANDOFF_CONNECTOR_TIMEOUT_S."""

    url: str = Field("", validation_alias="WEBHOOK_URL")
    secret: str = Field("", repr=False, validation_alias="WEBHOOK_SECRET")
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0, validation_alias="HANDOFF_CONNECTOR_TIMEOUT_S")
    # Accepted clock skew / age of an inbound signature.
    tolerance_s: float = Field(DEFAULT_TOLERANCE_S, gt=0, validation_alias="WEBHOOK_TOLERANCE_S")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if not self.url:
            raise ValueError("WEBHOOK_URL is required for the webhook connector")
        if len(self.secret) < 16:
            raise ValueError("WEBHOOK_SECRET must be set to at least 16 characters for the webhook connector")
        return self


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The X-Signature-SHA256 value: "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' + body>".

    Signing the time with the body lets the receiver refuse old requests (replays)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={_digest(secret, moment, body)}"


def parse_signature(header: str | None) -> tuple[int, list[str]] | None:
    """(timestamp, v1 signatures) from the header, or None when it is missing or malformed."""
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    stamps, signatures = fields.get("t", []), [value for value in fields.get("v1", []) if value]
    if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
        return None
    return int(stamps[0]), signatures


class SignatureCheck:
    """Verifies inbound signatures: right secret, timestamp within `tolerance_s`, never seen before.

    Seen signatures are remembered until they would be too old anyway, so memory stays bounded by the
    request rate times the tolerance window."""

    def __init__(self, secret: str, tolerance_s: float, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._tolerance_s = tolerance_s
        self._clock = clock
        self._seen: dict[str, float] = {}  # signature -> when it may be forgotten

    def verify(self, body: bytes, header: str | None) -> str:
        """The accepted signature; raises InboundRejected (401 bad or stale signature, 409 replay)."""
        parsed = parse_signature(header)
        if parsed is None:
            raise InboundRejected(401, "bad_signature", f"{SIGNATURE_HEADER} must be 't=<unix seconds>,v1=<hex>'")
        timestamp, offered = parsed
        expected = _digest(self._secret, timestamp, body)
        match = next((value for value in offered if hmac.compare_digest(expected, value)), None)
        if match is None:
            raise InboundRejected(401, "bad_signature", f"{SIGNATURE_HEADER} does not match the body")
        now = self._clock()
        if abs(now - timestamp) > self._tolerance_s:
            raise InboundRejected(
                401,
                "stale_signature",
                f"the signature's timestamp is {now - timestamp:.0f} s off (at most {self._tolerance_s:.0f} s "
                "allowed): sign every delivery when you send it",
            )
        self._forget_expired(now)
        if match in self._seen:
            raise InboundRejected(409, "replayed", "this signature was used before: sign every delivery anew")
        self._seen[match] = timestamp + self._tolerance_s
        return match

    def release(self, signature: str) -> None:
        """Forget an accepted signature whose request we could not honour, so its retry is not a replay."""
        self._seen.pop(signature, None)

    def _forget_expired(self, now: float) -> None:
        for signature in [sig for sig, until in self._seen.items() if until < now]:
            del self._seen[signature]


class ReplyInbox:
    """Agent replies pushed to us, per external ticket, in arrival order, de-duplicated by reply id.

    Process memory only, and that is enough: the inbound route answers 202 after the reply is in the
    ticket database; the inbox just hands it to `replies_since` (and to the poll round that retries a
    reply for a ticket whose external id was not stored yet)."""

    def __init__(self, max_per_ticket: int = 500) -> None:
        self.max_per_ticket = max_per_ticket
        self._tickets: dict[str, OrderedDict[str, ExternalReply]] = {}

    def add(self, external_id: str, reply: ExternalReply) -> bool:
        """False when this reply id was delivered before (the sender retried)."""
        replies = self._tickets.setdefault(external_id, OrderedDict())
        if reply.reply_id in replies:
            return False
        replies[reply.reply_id] = reply
        while len(replies) > self.max_per_ticket:
            replies.popitem(last=False)
        return True

    def since(self, external_id: str, after: str | None) -> list[ExternalReply]:
        replies = list(self._tickets.get(external_id, {}).values())
        ids = [reply.reply_id for reply in replies]
        return replies[ids.index(after) + 1 :] if after in ids else replies

    def forget(self, external_id: str) -> None:
        self._tickets.pop(external_id, None)


class InboundRejected(ValueError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class InboundReply:
    external_id: str
    reply: ExternalReply
    signature: str  # the accepted signature, released again if the reply cannot be stored


def parse_inbound(check: SignatureCheck, body: bytes, signature: str | None) -> InboundReply:
    """The reply of a signed `ticket.reply` call; InboundRejected says what is wrong."""
    accepted = check.verify(body, signature)
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise InboundRejected(400, "bad_request", f"the body is not JSON: {exc}") from exc
    if not isinstance(event, dict) or event.get("event") != "ticket.reply":
        raise InboundRejected(400, "bad_request", 'expected {"event": "ticket.reply", ...}')
    external_id, reply = event.get("external_id"), event.get("reply")
    if not isinstance(external_id, str) or not external_id or not isinstance(reply, dict):
        raise InboundRejected(400, "bad_request", "external_id (string) and reply (object) are required")
    reply_id, author = reply.get("id"), reply.get("author")
    text = reply.get("text") if isinstance(reply.get("text"), str) else None
    if text is None and isinstance(reply.get("html"), str):
        text = html_to_text(reply["html"])
    if not isinstance(reply_id, str | int) or not isinstance(author, str) or not text or not text.strip():
        raise InboundRejected(400, "bad_request", "reply needs id, author and a non-empty text (or html)")
    try:
        created_at = parse_timestamp(reply["created_at"]) if reply.get("created_at") else datetime.now(timezone.utc)
    except (TypeError, ValueError) as exc:
        raise InboundRejected(400, "bad_request", f"reply.created_at is not ISO 8601: {exc}") from exc
    reply = ExternalReply(str(reply_id), author[:200], tidy(text)[:MAX_TEXT_CHARS], created_at)
    return InboundReply(external_id, reply, accepted)


class WebhookConnector:
    name = "webhook"

    def __init__(self, settings: WebhookSettings, inbox: ReplyInbox | None = None) -> None:
        self.settings = settings
        self.inbox = inbox or ReplyInbox()
        self.signatures = SignatureCheck(settings.secret, settings.tolerance_s)
        # Set by the desk: stores (and relays) the replies of this external ticket; awaited before the 202.
        self.on_reply: Callable[[str], Awaitable[object]] | None = None
        # Every event carries an Idempotency-Key, so even POSTs may be retried.
        self.http = JsonHttp("Webhook", settings.url, credentials_hint="WEBHOOK_SECRET", timeout_s=settings.timeout_s)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookConnector:
        return cls(WebhookSettings.from_env(env))

    def __repr__(self) -> str:
        return f"WebhookConnector({self.settings.url!r})"

    async def _send(self, event: str, external_id: str, data: dict[str, Any]) -> Any:
        event_id = uuid.uuid4().hex
        envelope = {
            "event": event,
            "event_id": event_id,
            "occurred_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "external_id": external_id,
            "data": data,
        }
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.settings.secret, body),
            IDEMPOTENCY_HEADER: event_id,
            EVENT_HEADER: event,
        }
        _, answer = await self.http.call("POST", self.settings.url, data=body, headers=headers, idempotent=True)
        return answer

    async def create(self, ticket: ExternalTicket) -> str:
        """Our own id for the ticket, unless the receiver answers {"external_id": "..."} with its own."""
        proposed = f"wh-{uuid.uuid4().hex}"
        data = {
            "reference": ticket.reference,
            "subject": one_line(ticket.subject),
            "body": ticket.body,
            "requester": {"email": ticket.requester_email, "name": ticket.requester_name},
            "unverified_email": ticket.unverified_email,
            "priority": check_priority(ticket.priority),
            "priority_name": PRIORITY_NAMES[ticket.priority - 1],
            "tags": list(ticket.tags),
        }
        answer = await self._send("ticket.created", proposed, data)
        chosen = answer.get("external_id") if isinstance(answer, dict) else None
        return chosen if isinstance(chosen, str) and chosen.strip() else proposed

    async def correspond(self, external_id: str, text: str) -> None:
        await self._send("ticket.message", external_id, {"text": text, "public": True})

    async def comment(self, external_id: str, text: str) -> None:
        await self._send("ticket.note", external_id, {"text": text, "public": False})

    async def resolve(self, external_id: str) -> None:
        await self._send("ticket.resolved", external_id, {})

    async def replies_since(self, external_id: str, after: str | None) -> list[ExternalReply]:
        return self.inbox.since(external_id, after)

    async def inbound_handler(self, request: web.Request) -> web.Response:
        """aiohttp handler for the inbound `ticket.reply` call; the desk mounts it at INBOUND_PATH."""
        if (request.content_length or 0) > MAX_INBOUND_BYTES:
            return error_response(413, "payload_too_large", f"the body must be at most {MAX_INBOUND_BYTES} bytes")
        body = await request.content.read(MAX_INBOUND_BYTES + 1)
        if len(body) > MAX_INBOUND_BYTES:
            return error_response(413, "payload_too_large", f"the body must be at most {MAX_INBOUND_BYTES} bytes")
        try:
            inbound = parse_inbound(self.signatures, body, request.headers.get(SIGNATURE_HEADER))
        except InboundRejected as exc:
            logger.warning("webhook reply rejected from %s: %s", request.remote, exc)
            return error_response(exc.status, exc.code, str(exc))
        fresh = self.inbox.add(inbound.external_id, inbound.reply)
        logger.info(
            "webhook reply %s for %s (%s)", inbound.reply.reply_id, inbound.external_id, "new" if fresh else "duplicate"
        )
        if self.on_reply is not None:
            try:
                # Also for a duplicate: the sender may be retrying after our 503, when storing had failed.
                await self.on_reply(inbound.external_id)
            except Exception:
                logger.exception("webhook reply %s for %s not stored", inbound.reply.reply_id, inbound.external_id)
                self.signatures.release(inbound.signature)
                return error_response(503, "unavailable", "the reply could not be stored now: send it again")
        return web.json_response({"accepted": True, "duplicate": not fresh}, status=202)

    async def aclose(self) -> None:
        await self.http.aclose()
