"""The webhook connector's inbound route as the desk mounts it (`python -m handoff` builds the same
app): an agent reply signed by the other system reaches the shopper's conversation; an old
timestamp or a replayed request does not, and the route takes no desk credential but the signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from aiohttp import web

from handoff.connectors.webhook import INBOUND_PATH, WebhookConnector, WebhookSettings
from tests.handoff.handoff_support import Desk, until

SECRET = "webhook-secret-for-desk-tests-0123456789"


@pytest.fixture
async def connectors(aiohttp_server: Any) -> list[Any]:
    """The other help desk: takes our events and names its ticket HD-1."""

    async def receive(request: web.Request) -> web.Response:
        event = json.loads(await request.read())
        return web.json_response({"external_id": "HD-1"} if event["event"] == "ticket.created" else {})

    app = web.Application()
    app.router.add_post("/events", receive)
    server = await aiohttp_server(app)
    return [WebhookConnector(WebhookSettings(url=str(server.make_url("/events")), secret=SECRET))]


def signed_reply(reply_id: str, text: str, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    """What the other system sends, signed as docs/ticket-connectors.md says."""
    body = {"event": "ticket.reply", "external_id": "HD-1", "reply": {"id": reply_id, "author": "Zoe", "text": text}}
    raw = json.dumps(body).encode()
    stamp = int(time.time() if at is None else at)
    digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return raw, {"X-Signature-SHA256": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


async def opened(desk: Desk) -> None:
    await desk.handoff("conv-1")
    await desk.service.sync.drain()
    refs = await desk.service.store.external_refs(1)
    assert refs["webhook"]["id"] == "HD-1"


async def test_a_signed_reply_reaches_the_conversation(desk: Desk) -> None:
    await opened(desk)
    raw, headers = signed_reply("r-1", "Your replacement ships today.")
    response = await desk.client.post(INBOUND_PATH, data=raw, headers=headers)
    assert response.status == 202, await response.text()
    # Relayed at once (not at the next poll round, which is an hour away in these tests).
    await until(lambda: len(desk.relay.calls) == 1, 5, "the reply relayed to Rasa")
    kind, body = desk.relay.calls[0]
    assert kind == "agent_message"
    assert body == {"conversation_id": "conv-1", "text": "Your replacement ships today.", "agent_name": "Zoe"}


async def test_an_old_or_replayed_reply_is_refused(desk: Desk) -> None:
    await opened(desk)
    raw, headers = signed_reply("r-1", "captured last week", at=time.time() - 3600)
    stale = await desk.client.post(INBOUND_PATH, data=raw, headers=headers)
    assert stale.status == 401 and (await stale.json())["error"]["code"] == "stale_signature"

    raw, headers = signed_reply("r-2", "hello")
    assert (await desk.client.post(INBOUND_PATH, data=raw, headers=headers)).status == 202
    replayed = await desk.client.post(INBOUND_PATH, data=raw, headers=headers)
    assert replayed.status == 409 and (await replayed.json())["error"]["code"] == "replayed"
    await until(lambda: len(desk.relay.calls) == 1, 5, "one relayed reply")
    await desk.service.sync.drain()
    assert [body["text"] for _, body in desk.relay.calls] == ["hello"]


async def test_the_route_needs_the_signature_not_a_desk_credential(desk: Desk) -> None:
    raw, _ = signed_reply("r-1", "hi")
    unsigned = await desk.client.post(INBOUND_PATH, data=raw, headers={"Content-Type": "application/json"})
    assert unsigned.status == 401
    assert (await desk.client.post("/connectors/rt5/replies", data=raw)).status == 404  # only what is configured


async def test_a_reply_is_acknowledged_only_once_stored(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 202 is a promise: if the ticket database cannot take the reply, the sender hears 503 and its
    retry of the very same request (same signature) is stored, not refused as a replay."""
    await opened(desk)
    store = desk.service.store
    real_add = store.add_external_reply

    async def database_down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("database is down")

    monkeypatch.setattr(store, "add_external_reply", database_down)
    raw, headers = signed_reply("r-7", "Refund approved.")
    refused = await desk.client.post(INBOUND_PATH, data=raw, headers=headers)
    assert refused.status == 503 and (await refused.json())["error"]["code"] == "unavailable"
    assert not desk.relay.calls

    monkeypatch.setattr(store, "add_external_reply", real_add)
    retried = await desk.client.post(INBOUND_PATH, data=raw, headers=headers)
    assert retried.status == 202, await retried.text()
    # Stored (and relayed) before the answer, not by a task that might still be running.
    texts = [m["text"] for m in (await store.ticket(1))["messages"] if m["source"] == "webhook"]
    assert texts == ["Refund approved."]
    assert [body["text"] for _, body in desk.relay.calls] == ["Refund approved."]
