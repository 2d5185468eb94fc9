"""The RT 5 connector against a real Request Tracker 5 (tests/support/rt5.py starts it)."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timezone

import pytest

from handoff.connectors import rt5 as rt5_module
from handoff.connectors.base import ConnectorRejected, ConnectorUnavailable, ExternalTicket
from handoff.connectors.rt5 import RT5Connector, RT5Settings
from tests.support.rt5 import RT5Server
from tests.support.servers import free_port


def handoff_ticket(**changes: object) -> ExternalTicket:
    fields: dict[str, object] = {
        "reference": f"shop-handoff-{uuid.uuid4().int % 10**6}",
        "subject": "Parcel 4711 not delivered\n(second line)",
        "body": "Summary: shopper waits for order 4711.\n\nShopper: where is my parcel?\nBot: let me check.",
        "requester_email": "ann.shopper@example.com",
        "requester_name": "Ann Shopper",
        "priority": 3,
        "tags": ("delivery", "vip"),
    }
    fields.update(changes)
    return ExternalTicket(**fields)  # type: ignore[arg-type]


def history(rt: RT5Server, ticket_id: str) -> list[dict]:
    status, listing = rt.rest("GET", f"ticket/{ticket_id}/history?fields=Type,Creator&per_page=100")
    assert status == 200
    return listing["items"]


def transaction_text(rt: RT5Server, transaction_id: str) -> str:
    status, listing = rt.rest("GET", f"transaction/{transaction_id}/attachments?fields=Content")
    assert status == 200
    return "".join(part.get("Content") or "" for part in listing["items"])


def agent_says(rt: RT5Server, ticket_id: str, content: str, kind: str = "correspond", html: bool = False) -> None:
    body = {"Content": content, "ContentType": "text/html" if html else "text/plain"}
    status, answer = rt.rest("POST", f"ticket/{ticket_id}/{kind}", body, user=rt.agent)
    assert status == 201, answer


async def test_ticket_lifecycle_against_real_rt5(rt5: RT5Connector, rt5_server: RT5Server) -> None:
    rt = rt5_server
    ticket = handoff_ticket()
    ticket_id = await rt5.create(ticket)
    assert ticket_id.isdigit()

    status, created = rt.rest("GET", f"ticket/{ticket_id}?fields[Queue]=Name")
    assert status == 200
    assert created["Queue"]["Name"] == rt.queue
    assert created["Subject"] == "Parcel 4711 not delivered (second line)"
    assert [person["id"] for person in created["Requestor"]] == ["ann.shopper@example.com"]
    assert created["Priority"] == "100"  # 3 = high -> RT's stock "High"
    assert created["Status"] == "new"
    assert created["Creator"]["id"] == rt.user
    create_txn = next(txn for txn in history(rt, ticket_id) if txn["Type"] == "Create")
    content = transaction_text(rt, create_txn["id"])
    assert f"Reference: {ticket.reference}" in content
    assert "Shopper: Ann Shopper <ann.shopper@example.com>" in content
    assert "Tags: delivery, vip" in content
    assert "Shopper: where is my parcel?" in content

    await rt5.correspond(ticket_id, "Shopper: any news? I need it by Friday.")
    await rt5.comment(ticket_id, "Note: shopper is a VIP customer.")
    ours = [(txn["Type"], txn["Creator"]["id"]) for txn in history(rt, ticket_id)]
    assert ("Correspond", rt.user) in ours and ("Comment", rt.user) in ours
    texts = {txn["Type"]: transaction_text(rt, txn["id"]) for txn in history(rt, ticket_id)}
    assert "I need it by Friday" in texts["Correspond"]
    assert "VIP customer" in texts["Comment"]

    # Our own correspondence and notes are never agent replies.
    assert await rt5.replies_since(ticket_id, None) == []

    before = datetime.now(timezone.utc).replace(microsecond=0)
    agent_says(
        rt, ticket_id, "<p>Hello Ann,</p><p>your parcel <b>ships today</b> &amp; arrives Thursday.</p>", html=True
    )
    agent_says(rt, ticket_id, "Internal: courier confirmed.", kind="comment")
    replies = await rt5.replies_since(ticket_id, None)
    assert len(replies) == 1
    first = replies[0]
    assert first.author == "Agent Tester"
    assert first.text == "Hello Ann,\n\nyour parcel ships today & arrives Thursday."
    assert first.created_at >= before and first.created_at.tzinfo is not None
    assert first.reply_id.isdigit()

    # De-duplication: nothing new after the last reply id, then only the newer reply.
    assert await rt5.replies_since(ticket_id, first.reply_id) == []
    agent_says(rt, ticket_id, "Tracking number: 00340434161234567890")
    await rt5.correspond(ticket_id, "Shopper: thanks!")
    newer = await rt5.replies_since(ticket_id, first.reply_id)
    assert [reply.text for reply in newer] == ["Tracking number: 00340434161234567890"]
    assert [reply.reply_id for reply in await rt5.replies_since(ticket_id, None)] == [
        first.reply_id,
        newer[0].reply_id,
    ]

    await rt5.resolve(ticket_id)
    assert rt.rest("GET", f"ticket/{ticket_id}")[1]["Status"] == "resolved"
    await rt5.resolve(ticket_id)  # resolving twice is harmless (the desk may retry)


async def test_priorities_map_to_rt_numbers(rt5: RT5Connector, rt5_server: RT5Server) -> None:
    for priority, expected in ((1, "0"), (2, "50"), (4, "100")):
        ticket_id = await rt5.create(handoff_ticket(priority=priority, requester_email=None, requester_name=None))
        created = rt5_server.rest("GET", f"ticket/{ticket_id}")[1]
        assert created["Priority"] == expected
        assert created["Requestor"] == []
    with pytest.raises(ValueError, match="priority must be 1"):
        await rt5.create(handoff_ticket(priority=5))


async def test_token_auth_and_own_posts_excluded(rt5_server: RT5Server) -> None:
    rt = rt5_server
    connector = RT5Connector(RT5Settings(url=rt.url + "/REST/2.0", token=rt.token, queue=rt.queue))
    try:
        ticket_id = await connector.create(handoff_ticket())
        assert rt.rest("GET", f"ticket/{ticket_id}")[1]["Creator"]["id"] == rt.user
        await connector.correspond(ticket_id, "Shopper: hello again")
        agent_says(rt, ticket_id, "Agent here, how can I help?")
        replies = await connector.replies_since(ticket_id, None)
        assert [(reply.author, reply.text) for reply in replies] == [("Agent Tester", "Agent here, how can I help?")]
    finally:
        await connector.aclose()


async def test_requester_answering_by_email_is_not_an_agent_reply(rt5: RT5Connector, rt5_server: RT5Server) -> None:
    ticket_id = await rt5.create(handoff_ticket())
    # What RT's mail gateway records when the (unprivileged) requester answers an RT e-mail; sites that
    # accept such mail grant requesters these rights.
    rt5_server.perl(
        "my $queue = RT::Queue->new(RT->SystemUser); $queue->Load($ENV{QUEUE}) or die 'no queue';"
        "my $requestors = $queue->RoleGroup('Requestor')->PrincipalObj;"
        "$requestors->GrantRight(Right => $_, Object => $queue) for qw(ShowTicket ReplyToTicket);"
        "my $user = RT::CurrentUser->new; $user->LoadByEmail($ENV{EMAIL}) or die 'no requester';"
        "my $ticket = RT::Ticket->new($user); $ticket->Load($ENV{TICKET}) or die 'no ticket';"
        "my ($ok, $msg) = $ticket->Correspond(Content => 'Answering by e-mail'); die $msg unless $ok;",
        EMAIL="ann.shopper@example.com",
        TICKET=ticket_id,
        QUEUE=rt5_server.queue,
    )
    assert any(txn["Creator"]["id"] == "ann.shopper@example.com" for txn in history(rt5_server, ticket_id))
    agent_says(rt5_server, ticket_id, "Agent answer")
    assert [reply.text for reply in await rt5.replies_since(ticket_id, None)] == ["Agent answer"]


async def test_replies_are_read_across_history_pages(
    rt5: RT5Connector, rt5_server: RT5Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rt5_module, "PAGE_SIZE", 2)  # RT reports no page count to non-superusers
    ticket_id = await rt5.create(handoff_ticket())
    for number in range(5):
        agent_says(rt5_server, ticket_id, f"Agent message {number}")
    replies = await rt5.replies_since(ticket_id, None)
    assert [reply.text for reply in replies] == [f"Agent message {number}" for number in range(5)]
    assert [reply.text for reply in await rt5.replies_since(ticket_id, replies[2].reply_id)] == [
        "Agent message 3",
        "Agent message 4",
    ]


async def test_wrong_password_is_a_clear_rejection(rt5_server: RT5Server) -> None:
    secret = "definitely-wrong-password"
    connector = RT5Connector(RT5Settings(url=rt5_server.url, user=rt5_server.user, password=secret))
    try:
        with pytest.raises(ConnectorRejected) as caught:
            await connector.create(handoff_ticket())
    finally:
        await connector.aclose()
    assert caught.value.status == 401
    message = str(caught.value)
    assert "rejected the credentials (HTTP 401)" in message and "RT5_USER/RT5_PASSWORD" in message
    assert secret not in message and secret not in repr(connector) and secret not in repr(connector.settings)
    assert base64.b64encode(f"{rt5_server.user}:{secret}".encode()).decode() not in message


async def test_unknown_ticket_and_bad_queue_are_rejected(rt5: RT5Connector, rt5_server: RT5Server) -> None:
    with pytest.raises(ConnectorRejected) as caught:
        await rt5.correspond("999999", "hello?")
    # RT says "Permission Denied" to non-superusers for a ticket that does not exist.
    assert caught.value.status == 400
    assert str(caught.value).startswith("RT5: POST /REST/2.0/ticket/999999/correspond: rejected with HTTP 400: ")
    wrong_queue = RT5Connector(
        RT5Settings(url=rt5_server.url, user=rt5_server.user, password=rt5_server.password, queue="No such queue")
    )
    try:
        with pytest.raises(ConnectorRejected, match="No permission to create tickets in the queue"):
            await wrong_queue.create(handoff_ticket())
    finally:
        await wrong_queue.aclose()
    with pytest.raises(ValueError, match="RT ticket ids are numbers"):
        await rt5.comment("../queue/1", "x")


async def test_server_down_is_unavailable() -> None:
    port = free_port()  # nothing listens here
    connector = RT5Connector(RT5Settings(url=f"http://127.0.0.1:{port}", user="shopbot", password="x", timeout_s=2))
    connector.http.backoff_s = 0.01
    try:
        with pytest.raises(
            ConnectorUnavailable, match=rf"RT5: POST /REST/2.0/ticket: cannot reach http://127.0.0.1:{port}"
        ):
            await connector.create(handoff_ticket())
        with pytest.raises(ConnectorUnavailable, match="cannot reach"):
            await connector.replies_since("1", None)  # retried (idempotent), then given up
    finally:
        await connector.aclose()
