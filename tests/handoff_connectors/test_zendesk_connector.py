"""The Zendesk connector against a fake that enforces Zendesk's published API shapes (zendesk_fake.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from handoff.connectors import zendesk as zendesk_module
from handoff.connectors.base import ConnectorRejected, ConnectorUnavailable, ExternalTicket
from handoff.connectors.zendesk import ZendeskConnector, ZendeskSettings
from tests.handoff_connectors.zendesk_fake import API_TOKEN, EMAIL, ME, FakeZendesk
from tests.support.servers import free_port

TICKET = ExternalTicket(
    reference="shop-handoff-17",
    subject="Refund for order 4711",
    body="Summary: shopper wants a refund.\n\nShopper: the shoes are too small.",
    requester_email="ann.shopper@example.com",
    requester_name="Ann Shopper",
    priority=3,
    tags=("refund", "VIP customer"),
)


@pytest.fixture
async def fake(aiohttp_server) -> FakeZendesk:  # type: ignore[no-untyped-def]
    fake = FakeZendesk()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def zendesk(fake: FakeZendesk) -> AsyncIterator[ZendeskConnector]:
    connector = ZendeskConnector(ZendeskSettings(url=fake.base_url, email=EMAIL, api_token=API_TOKEN, timeout_s=5))
    connector.http.backoff_s = 0.01
    yield connector
    await connector.aclose()


async def test_ticket_lifecycle(zendesk: ZendeskConnector, fake: FakeZendesk) -> None:
    ticket_id = await zendesk.create(TICKET)
    stored = fake.tickets[int(ticket_id)]
    assert stored["subject"] == "Refund for order 4711"
    assert stored["priority"] == "high"
    assert stored["tags"] == ["refund", "vip_customer"]
    assert stored["external_id"] == "shop-handoff-17"
    requester = fake.users[stored["requester_id"]]
    assert (requester["name"], requester["email"], requester["role"]) == (
        "Ann Shopper",
        TICKET.requester_email,
        "end-user",
    )
    first = fake.comments[int(ticket_id)][0]
    assert first["public"] is False  # the transcript is for agents only
    assert first["body"].startswith("Reference: shop-handoff-17\nShopper: Ann Shopper <ann.shopper@example.com>")
    assert "the shoes are too small" in first["body"]
    create_headers = fake.requests[0][2]
    assert create_headers["Idempotency-Key"].startswith("shop-handoff-17:")

    await zendesk.correspond(ticket_id, "Shopper: can I get store credit instead?")
    await zendesk.comment(ticket_id, "Note: approved by team lead.")
    shopper_msg, note = fake.comments[int(ticket_id)][1:]
    assert (shopper_msg["public"], shopper_msg["author_id"]) == (True, stored["requester_id"])
    assert (note["public"], note["author_id"]) == (False, ME)
    assert await zendesk.replies_since(ticket_id, None) == []

    fake.agent_reply(ticket_id=int(ticket_id), body="Internal: check stock", public=False)
    reply = fake.agent_reply(
        int(ticket_id),
        body="Hi Ann, store credit is fine & on its way.",
        html="<p>Hi Ann, store credit is <b>fine</b> &amp; on its way.</p>",
    )
    replies = await zendesk.replies_since(ticket_id, None)
    assert [(r.reply_id, r.author, r.text) for r in replies] == [
        (str(reply["id"]), "Zoe Agent", "Hi Ann, store credit is fine & on its way.")
    ]
    assert replies[0].created_at.tzinfo is not None
    assert await zendesk.replies_since(ticket_id, replies[0].reply_id) == []
    later = fake.agent_reply(int(ticket_id), body="Anything else?")
    assert [r.reply_id for r in await zendesk.replies_since(ticket_id, replies[0].reply_id)] == [str(later["id"])]
    assert fake.hits("GET", "/api/v2/users/me.json") == ["/api/v2/users/me.json"]  # asked once, cached

    await zendesk.resolve(ticket_id)
    assert fake.tickets[int(ticket_id)]["status"] == "solved"


async def test_an_unverified_email_never_becomes_the_requester(zendesk: ZendeskConnector, fake: FakeZendesk) -> None:
    """Zendesk mails its notifications (with shopper-written text) to the requester: only a verified
    address may be one. A typed address is shown to agents, marked unverified; the ticket's requester
    is then the shop's own API user."""
    typed = replace(TICKET, requester_email=None, requester_name="Ann", unverified_email="victim@example.org")
    ticket_id = await zendesk.create(typed)
    stored = fake.tickets[int(ticket_id)]
    assert stored["requester_id"] == ME
    assert all(user["email"] != "victim@example.org" for user in fake.users.values())
    body = fake.comments[int(ticket_id)][0]["body"]
    assert "E-mail given in the chat (unverified, not the requester): victim@example.org" in body
    await zendesk.correspond(ticket_id, "Shopper: hello?")
    assert fake.comments[int(ticket_id)][1]["author_id"] == ME


async def test_html_only_replies_are_stripped(zendesk: ZendeskConnector, fake: FakeZendesk) -> None:
    """Zendesk-compatible desks may send only html_body; the shopper still gets plain text."""
    ticket_id = await zendesk.create(TICKET)
    comment = fake.agent_reply(int(ticket_id), body="x", html="<div><p>Line one</p><ul><li>a &lt; b</li></ul></div>")
    comment["plain_body"] = ""
    assert [r.text for r in await zendesk.replies_since(ticket_id, None)] == ["Line one\n\n- a < b"]


async def test_replies_follow_next_page(
    zendesk: ZendeskConnector, fake: FakeZendesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zendesk_module, "PAGE_SIZE", 2)
    ticket_id = await zendesk.create(TICKET)
    await zendesk.correspond(ticket_id, "Shopper: hello?")
    for number in range(5):
        fake.agent_reply(int(ticket_id), body=f"Agent message {number}")
    replies = await zendesk.replies_since(ticket_id, None)
    assert [r.text for r in replies] == [f"Agent message {n}" for n in range(5)]
    pages = fake.hits("GET", f"/api/v2/tickets/{ticket_id}/comments.json")
    assert len(pages) == 4  # 7 comments, 2 per page
    assert all("include=users" in page for page in pages)
    assert [r.text for r in await zendesk.replies_since(ticket_id, replies[3].reply_id)] == ["Agent message 4"]


async def test_rate_limit_waits_for_retry_after(zendesk: ZendeskConnector, fake: FakeZendesk) -> None:
    ticket_id = await zendesk.create(TICKET)
    fake.agent_reply(int(ticket_id), body="Hello")
    await zendesk.replies_since(ticket_id, None)  # learns who we are
    fake.fail_next("GET", "/comments.json", 429, {"Retry-After": "1"})
    started = time.monotonic()
    replies = await zendesk.replies_since(ticket_id, None)
    assert time.monotonic() - started >= 0.95
    assert [r.text for r in replies] == ["Hello"]
    assert len(fake.hits("GET", "/comments.json")) == 3


async def test_create_is_retried_with_the_same_idempotency_key(zendesk: ZendeskConnector, fake: FakeZendesk) -> None:
    fake.fail_next("POST", "/tickets.json", 429, {"Retry-After": "0"})
    fake.fail_next("POST", "/tickets.json", 503)
    await zendesk.create(TICKET)
    keys = {headers["Idempotency-Key"] for verb, _, headers in fake.requests if verb == "POST"}
    assert len(fake.hits("POST", "/tickets.json")) == 3 and len(keys) == 1
    assert len(fake.tickets) == 1


async def test_long_rate_limit_and_server_errors_are_unavailable(zendesk: ZendeskConnector, fake: FakeZendesk) -> None:
    ticket_id = await zendesk.create(TICKET)
    fake.fail_next("PUT", f"/tickets/{ticket_id}.json", 500)
    with pytest.raises(ConnectorUnavailable, match="server error HTTP 500"):
        await zendesk.comment(ticket_id, "note")
    assert len(fake.hits("PUT", f"/tickets/{ticket_id}.json")) == 1  # a comment is not idempotent: no retry
    fake.fail_next("GET", "/comments.json", 429, {"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(ConnectorUnavailable, match=r"rate limited \(HTTP 429\), retry after 3600 s"):
        await zendesk.replies_since(ticket_id, None)
    assert time.monotonic() - started < 2


async def test_invalid_data_and_unknown_ticket_are_rejected(zendesk: ZendeskConnector, fake: FakeZendesk) -> None:
    with pytest.raises(ConnectorRejected) as caught:
        await zendesk.create(
            ExternalTicket("c", "s", "b", requester_email="not-an-email", requester_name=None, priority=2)
        )
    assert caught.value.status == 422 and "RecordInvalid: Record validation errors" in str(caught.value)
    with pytest.raises(ConnectorRejected, match="HTTP 404: RecordNotFound: Not found"):
        await zendesk.resolve("424242")


async def test_wrong_token_is_a_clear_rejection(fake: FakeZendesk) -> None:
    secret = "wrong-token-abcdef"
    connector = ZendeskConnector(ZendeskSettings(url=fake.base_url, email=EMAIL, api_token=secret))
    try:
        with pytest.raises(ConnectorRejected) as caught:
            await connector.create(TICKET)
    finally:
        await connector.aclose()
    assert caught.value.status == 401
    assert "rejected the credentials (HTTP 401); check ZENDESK_EMAIL/ZENDESK_API_TOKEN" in str(caught.value)
    assert secret not in str(caught.value) and secret not in repr(connector.settings)
    assert fake.tickets == {}


async def test_foreign_next_page_is_not_followed(
    zendesk: ZendeskConnector, fake: FakeZendesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credentials only ever go to ZENDESK_URL, even if a page links elsewhere."""
    ticket_id = await zendesk.create(TICKET)
    fake.agent_reply(int(ticket_id), body="one")
    fake.agent_reply(int(ticket_id), body="two")
    monkeypatch.setattr(zendesk_module, "PAGE_SIZE", 1)
    fake.base_url = "http://evil.example"
    with pytest.raises(ConnectorRejected, match="refusing to send credentials"):
        await zendesk.replies_since(ticket_id, None)


async def test_server_down_is_unavailable() -> None:
    port = free_port()
    connector = ZendeskConnector(ZendeskSettings(url=f"http://127.0.0.1:{port}", email=EMAIL, api_token="t" * 20))
    connector.http.backoff_s = 0.01
    try:
        with pytest.raises(ConnectorUnavailable, match=rf"Zendesk: POST /api/v2/tickets.json: cannot reach .*:{port}"):
            await connector.create(TICKET)
    finally:
        await connector.aclose()
