"""The webhook connector: signed outbound events to a local receiver, signed inbound agent replies."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from handoff.connectors.base import ConnectorRejected, ConnectorUnavailable, ExternalTicket
from handoff.connectors.webhook import INBOUND_PATH, WebhookConnector, WebhookSettings
from tests.support.servers import free_port

SECRET = "webhook-secret-for-tests-0123456789"
TICKET = ExternalTicket(
    reference="shop-handoff-41",
    subject="Broken zipper",
    body="Summary: zipper broke after one day.",
    requester_email="ann.shopper@example.com",
    requester_name="Ann Shopper",
    priority=4,
    tags=("quality",),
)


@dataclass
class Receiver:
    """The other side of the webhook, checking signatures the way its docs tell it to."""

    events: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    answers: list[tuple[int, Any]] = field(default_factory=list)  # queued (status, json body)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        fields = dict(part.split("=", 1) for part in request.headers.get("X-Signature-SHA256", "").split(","))
        stamp = fields.get("t", "0")
        expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("v1", "")) or abs(time.time() - int(stamp)) > 300:
            return web.json_response({"error": "bad signature"}, status=401)
        self.headers.append(dict(request.headers))
        if self.answers:
            status, body = self.answers.pop(0)
            return web.json_response(body, status=status)
        self.events.append(json.loads(raw))
        return web.json_response({"ok": True})


def signed(body: dict[str, Any], secret: str = SECRET, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    """Signed the way docs/ticket-connectors.md tells the other system to: t=<unix>,v1=<HMAC of "t." + body>."""
    raw = json.dumps(body).encode()
    stamp = int(time.time() if at is None else at)
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, {"X-Signature-SHA256": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


@pytest.fixture
async def receiver(aiohttp_server) -> tuple[Receiver, str]:  # type: ignore[no-untyped-def]
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hooks/shop", receiver.handle)
    server = await aiohttp_server(app)
    return receiver, str(server.make_url("/hooks/shop"))


@pytest.fixture
async def webhook(receiver: tuple[Receiver, str]) -> AsyncIterator[WebhookConnector]:
    connector = WebhookConnector(WebhookSettings(url=receiver[1], secret=SECRET, timeout_s=5))
    connector.http.backoff_s = 0.01
    yield connector
    await connector.aclose()


async def test_events_are_signed_and_carry_idempotency_keys(
    webhook: WebhookConnector, receiver: tuple[Receiver, str]
) -> None:
    hook, _ = receiver
    external_id = await webhook.create(TICKET)
    assert external_id.startswith("wh-")
    await webhook.correspond(external_id, "Shopper: any update?")
    await webhook.comment(external_id, "Note: send a replacement")
    await webhook.resolve(external_id)

    assert [event["event"] for event in hook.events] == [
        "ticket.created",
        "ticket.message",
        "ticket.note",
        "ticket.resolved",
    ]
    assert {event["external_id"] for event in hook.events} == {external_id}
    created = hook.events[0]["data"]
    assert created == {
        "reference": "shop-handoff-41",  # never the conversation id
        "subject": "Broken zipper",
        "body": "Summary: zipper broke after one day.",
        "requester": {"email": "ann.shopper@example.com", "name": "Ann Shopper"},
        "unverified_email": None,
        "priority": 4,
        "priority_name": "urgent",
        "tags": ["quality"],
    }
    assert hook.events[1]["data"] == {"text": "Shopper: any update?", "public": True}
    assert hook.events[2]["data"] == {"text": "Note: send a replacement", "public": False}
    keys = [headers["Idempotency-Key"] for headers in hook.headers]
    assert len(set(keys)) == 4 and keys == [event["event_id"] for event in hook.events]
    assert [headers["X-Webhook-Event"] for headers in hook.headers] == [event["event"] for event in hook.events]


async def test_receiver_may_choose_the_external_id(webhook: WebhookConnector, receiver: tuple[Receiver, str]) -> None:
    receiver[0].answers.append((201, {"external_id": "HD-1234"}))
    assert await webhook.create(TICKET) == "HD-1234"


async def test_retries_reuse_the_idempotency_key(webhook: WebhookConnector, receiver: tuple[Receiver, str]) -> None:
    hook, _ = receiver
    hook.answers += [(503, {"error": "busy"}), (502, {"error": "gateway"})]
    await webhook.correspond("wh-1", "hello")
    assert len(hook.headers) == 3
    assert len({headers["Idempotency-Key"] for headers in hook.headers}) == 1
    assert [event["event"] for event in hook.events] == ["ticket.message"]


async def test_wrong_secret_and_outage(receiver: tuple[Receiver, str]) -> None:
    wrong = WebhookConnector(WebhookSettings(url=receiver[1], secret="another-secret-0123456789"))
    try:
        with pytest.raises(ConnectorRejected, match="HTTP 401") as caught:
            await wrong.create(TICKET)
        assert "another-secret" not in str(caught.value)
    finally:
        await wrong.aclose()
    port = free_port()
    down = WebhookConnector(WebhookSettings(url=f"http://127.0.0.1:{port}/hook", secret=SECRET))
    down.http.backoff_s = 0.01
    try:
        with pytest.raises(ConnectorUnavailable, match=rf"Webhook: POST /hook: cannot reach http://127.0.0.1:{port}"):
            await down.resolve("wh-1")
    finally:
        await down.aclose()


@pytest.fixture
async def desk(aiohttp_client, webhook: WebhookConnector):  # type: ignore[no-untyped-def]
    app = web.Application()
    app.router.add_post(INBOUND_PATH, webhook.inbound_handler)
    return await aiohttp_client(app)


def reply_event(reply_id: str, text: str, external_id: str = "HD-7") -> dict[str, Any]:
    return {
        "event": "ticket.reply",
        "external_id": external_id,
        "reply": {"id": reply_id, "author": "Zoe Agent", "text": text, "created_at": "2026-11-23T18:00:00Z"},
    }


async def test_inbound_replies_reach_replies_since_once(desk, webhook: WebhookConnector) -> None:  # type: ignore[no-untyped-def]
    raw, headers = signed(reply_event("r-1", "Hi Ann,\n\n  a replacement is on its way."))
    response = await desk.post(INBOUND_PATH, data=raw, headers=headers)
    assert response.status == 202 and await response.json() == {"accepted": True, "duplicate": False}
    # The other system re-sends the reply (signed anew): stored once, by its reply id.
    raw, headers = signed(reply_event("r-1", "Hi Ann,\n\n  a replacement is on its way."), at=time.time() - 2)
    again = await desk.post(INBOUND_PATH, data=raw, headers=headers)
    assert await again.json() == {"accepted": True, "duplicate": True}

    html = reply_event("r-2", "")
    html["reply"] = {"id": 2, "author": "Zoe Agent", "html": "<p>Tracking: <b>ZX9</b></p>"}
    raw, headers = signed(html)
    assert (await desk.post(INBOUND_PATH, data=raw, headers=headers)).status == 202

    replies = await webhook.replies_since("HD-7", None)
    assert [(r.reply_id, r.author, r.text) for r in replies] == [
        ("r-1", "Zoe Agent", "Hi Ann,\n\na replacement is on its way."),
        ("2", "Zoe Agent", "Tracking: ZX9"),
    ]
    assert replies[0].created_at.isoformat() == "2026-11-23T18:00:00+00:00"
    assert [r.reply_id for r in await webhook.replies_since("HD-7", "r-1")] == ["2"]
    assert await webhook.replies_since("HD-7", "2") == []
    assert await webhook.replies_since("other", None) == []


@pytest.mark.parametrize(
    ("body", "secret", "status", "code"),
    [
        (reply_event("r-1", "hi"), "not-the-shared-secret-0123", 401, "bad_signature"),
        ({"event": "ticket.created", "external_id": "HD-7"}, SECRET, 400, "bad_request"),
        (
            {"event": "ticket.reply", "external_id": "HD-7", "reply": {"id": "r", "author": "Zoe"}},
            SECRET,
            400,
            "bad_request",
        ),
        (reply_event("r-1", "hi") | {"external_id": ""}, SECRET, 400, "bad_request"),
    ],
)
async def test_bad_inbound_calls_get_a_clear_answer(  # type: ignore[no-untyped-def]
    desk, webhook: WebhookConnector, body: dict[str, Any], secret: str, status: int, code: str
) -> None:
    raw, headers = signed(body, secret)
    response = await desk.post(INBOUND_PATH, data=raw, headers=headers)
    assert response.status == status
    error = (await response.json())["error"]
    assert error["code"] == code and error["message"]
    assert await webhook.replies_since("HD-7", None) == []


async def test_unsigned_and_oversized_inbound_calls(desk) -> None:  # type: ignore[no-untyped-def]
    unsigned = await desk.post(INBOUND_PATH, json=reply_event("r-1", "hi"))
    assert unsigned.status == 401
    raw, headers = signed(reply_event("r-1", "x" * 300_000))
    too_big = await desk.post(INBOUND_PATH, data=raw, headers=headers)
    assert too_big.status == 413


async def test_an_old_signature_is_refused(desk, webhook: WebhookConnector) -> None:  # type: ignore[no-untyped-def]
    """Without a signed timestamp a request captured once could be sent again forever."""
    raw, headers = signed(reply_event("r-1", "hi"), at=time.time() - 301)
    response = await desk.post(INBOUND_PATH, data=raw, headers=headers)
    assert response.status == 401 and (await response.json())["error"]["code"] == "stale_signature"
    raw, headers = signed(reply_event("r-1", "hi"), at=time.time() + 301)  # a clock far ahead is refused too
    assert (await desk.post(INBOUND_PATH, data=raw, headers=headers)).status == 401
    raw, headers = signed(reply_event("r-1", "hi"), at=time.time() - 250)  # inside the 5 minutes
    assert (await desk.post(INBOUND_PATH, data=raw, headers=headers)).status == 202
    assert [r.reply_id for r in await webhook.replies_since("HD-7", None)] == ["r-1"]


async def test_a_replayed_signature_is_refused(desk, webhook: WebhookConnector) -> None:  # type: ignore[no-untyped-def]
    raw, headers = signed(reply_event("r-1", "hi"))
    assert (await desk.post(INBOUND_PATH, data=raw, headers=headers)).status == 202
    replay = await desk.post(INBOUND_PATH, data=raw, headers=headers)
    assert replay.status == 409 and (await replay.json())["error"]["code"] == "replayed"


async def test_the_old_untimed_signature_is_refused(desk) -> None:  # type: ignore[no-untyped-def]
    raw = json.dumps(reply_event("r-1", "hi")).encode()
    untimed = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = await desk.post(INBOUND_PATH, data=raw, headers={"X-Signature-SHA256": untimed})
    assert response.status == 401 and (await response.json())["error"]["code"] == "bad_signature"


def test_the_skew_is_configurable() -> None:
    env = {"WEBHOOK_URL": "http://127.0.0.1:9/hook", "WEBHOOK_SECRET": SECRET}
    assert WebhookSettings.from_env(env).tolerance_s == 300
    assert WebhookSettings.from_env({**env, "WEBHOOK_TOLERANCE_S": "30"}).tolerance_s == 30
    with pytest.raises(ValueError, match="WEBHOOK_TOLERANCE_S"):
        WebhookSettings.from_env({**env, "WEBHOOK_TOLERANCE_S": "soon"})
