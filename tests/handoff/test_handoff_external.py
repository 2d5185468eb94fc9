"""External ticket systems seen through a fake connector (the real ones are tested in their own
folder): tickets are stored before any connector call, retried while it is down, shopper messages are
forwarded, and agent replies made over there reach the shopper exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from handoff.connectors.base import ConnectorRejected, TicketConnector
from tests.handoff.handoff_support import Desk, FakeConnector, until


@pytest.fixture
def connectors(request: pytest.FixtureRequest) -> list[Any]:
    """Fresh connectors per test; parametrize indirectly with kinds ("fake", "strict")."""
    kinds = getattr(request, "param", ["fake"])
    return [RefusingConnector(name="strict") if kind == "strict" else FakeConnector() for kind in kinds]


def fake(desk: Desk) -> FakeConnector:
    connector = desk.service.sync.connectors[-1]
    assert isinstance(connector, FakeConnector)
    return connector


async def test_the_fake_honours_the_connector_protocol() -> None:
    assert isinstance(FakeConnector(), TicketConnector)


async def test_ticket_is_forwarded_with_summary_priority_and_transcript(desk: Desk) -> None:
    ticket = await desk.handoff(frustration=0.85, order={"number": "104532", "total": "620.00", "currency": "USD"})
    await desk.service.sync.drain()
    (sent,) = fake(desk).created
    assert sent.reference == f"shop-handoff-{ticket['ticket_id']}" and sent.priority == 4
    assert "conv-1" not in f"{sent.subject} {sent.body} {sent.tags}"  # the conversation id stays in the shop
    assert sent.requester_email == "c1@example.com" and sent.requester_name == "Jane Doe"
    assert "104532" in sent.subject and "Where is my order 104532?" in sent.body
    assert "frustration" in sent.tags or "handoff" in sent.tags
    stored = await desk.service.store.ticket(ticket["ticket_id"], with_messages=False)
    assert stored["external"] == {"fake": {"id": "EXT-1", "state": "synced", "error": None}}


async def test_connector_down_loses_nothing_and_catches_up(desk: Desk) -> None:
    fake(desk).down = True
    desk.service.sync._retry_base_s = 0.01
    ticket = await desk.handoff()
    assert ticket["created"]  # stored and answered although the external system is down
    await desk.service.sync.drain()
    refs = await desk.service.store.external_refs(ticket["ticket_id"])
    assert refs["fake"]["id"] is None and refs["fake"]["state"] == "pending" and refs["fake"]["attempts"] == 3
    assert "down" in refs["fake"]["error"]
    await desk.shopper_says("conv-1", "Hello, anybody?")

    fake(desk).down = False
    await desk.service.sync.poll_once()
    refs = await desk.service.store.external_refs(ticket["ticket_id"])
    assert refs["fake"]["id"] == "EXT-1" and refs["fake"]["state"] == "synced"
    # The message that arrived while it was down is in the ticket body, not sent twice.
    assert "Hello, anybody?" in fake(desk).created[0].body and fake(desk).corresponded == []


async def test_shopper_messages_are_forwarded(desk: Desk) -> None:
    await desk.handoff()
    await desk.service.sync.drain()
    await desk.shopper_says("conv-1", "I also need an invoice")
    await desk.service.sync.drain()
    assert fake(desk).corresponded == [("EXT-1", "I also need an invoice")]


async def test_external_replies_reach_the_shopper_once(desk: Desk) -> None:
    ticket = await desk.handoff()
    await desk.service.sync.drain()
    fake(desk).reply("Hi Jane, your parcel is at the depot.")
    assert await desk.service.sync.poll_once() == 1
    assert await desk.service.sync.poll_once() == 0
    assert desk.relay.calls == [
        (
            "agent_message",
            {"conversation_id": "conv-1", "text": "Hi Jane, your parcel is at the depot.", "agent_name": "Sam (RT)"},
        )
    ]
    fake(desk).reply("It will be delivered tomorrow.")
    assert await desk.service.sync.poll_once() == 1
    assert fake(desk).reply_calls[-1] == ("EXT-1", "r1")  # asks only for what is new
    messages = (await desk.service.store.ticket(ticket["ticket_id"]))["messages"]
    agent_lines = [(m["text"], m["source"], m["delivered"]) for m in messages if m["role"] == "agent"]
    assert agent_lines == [
        ("Hi Jane, your parcel is at the depot.", "fake", True),
        ("It will be delivered tomorrow.", "fake", True),
    ]


async def test_external_reply_while_rasa_is_down_is_kept_and_retried(desk: Desk) -> None:
    await desk.handoff()
    await desk.service.sync.drain()
    desk.relay.mode = "fail"
    fake(desk).reply("We are on it.")
    await desk.service.sync.poll_once()
    assert desk.relay.calls == []
    (pending,) = await desk.service.store.undelivered()
    assert pending["text"] == "We are on it."
    desk.relay.mode = "live"
    await desk.service.deliver_pending(pending["ticket_id"])
    assert desk.relay.texts() == ["We are on it."]


async def test_desk_work_is_mirrored_as_comments_and_closing_resolves(desk: Desk) -> None:
    ticket = await desk.handoff()
    await desk.service.sync.drain()
    alex = await desk.agent("alex", "Alex")
    number = ticket["ticket_id"]
    await alex.request("POST", f"/desk/api/tickets/{number}/take", {})
    await alex.request("POST", f"/desk/api/tickets/{number}/messages", {"text": "Checking with the carrier."})
    await alex.request("POST", f"/desk/api/tickets/{number}/notes", {"text": "Carrier ticket 5521"})
    fake(desk).reply("Sam here, also looking.")
    await desk.service.sync.poll_once()
    await desk.shopper_says("conv-1", "ok")
    await alex.request("POST", f"/desk/api/tickets/{number}/close", {})
    await desk.service.sync.drain()
    assert fake(desk).comments == [
        ("EXT-1", "Desk reply to the shopper (Alex): Checking with the carrier."),
        ("EXT-1", "Desk note (Alex): Carrier ticket 5521"),
    ]  # not the join/release notices, not Sam's own reply
    assert fake(desk).corresponded == [("EXT-1", "ok")]
    assert fake(desk).resolved == ["EXT-1"]


async def test_forwarding_and_resolving_are_retried_after_an_outage(desk: Desk) -> None:
    desk.service.sync._retry_base_s = 0.01
    ticket = await desk.handoff()
    await desk.service.sync.drain()
    alex = await desk.agent("alex")
    number = ticket["ticket_id"]
    await alex.request("POST", f"/desk/api/tickets/{number}/take", {})
    fake(desk).down = True
    await desk.shopper_says("conv-1", "still there?")
    await alex.request("POST", f"/desk/api/tickets/{number}/close", {})
    await desk.service.sync.drain()
    refs = await desk.service.store.external_refs(number)
    assert refs["fake"]["state"] == "pending" and not refs["fake"].get("resolved")
    fake(desk).down = False
    await desk.service.sync.poll_once()
    assert fake(desk).corresponded == [("EXT-1", "still there?")] and fake(desk).resolved == ["EXT-1"]
    assert (await desk.service.store.external_refs(number))["fake"]["state"] == "synced"
    assert await desk.service.store.tickets_to_sync(timedelta(days=1)) == []  # nothing owed any more


class RefusingConnector(FakeConnector):
    async def create(self, ticket: Any) -> str:
        raise ConnectorRejected("fake refused: bad credentials", 401)


@pytest.mark.parametrize("connectors", [["strict", "fake"]], indirect=True)
async def test_a_refusing_connector_does_not_block_the_others(desk: Desk) -> None:
    ticket = await desk.handoff()
    await desk.service.sync.drain()
    refs = await desk.service.store.external_refs(ticket["ticket_id"])
    assert refs["strict"]["state"] == "rejected" and "bad credentials" in refs["strict"]["error"]
    assert refs["fake"]["id"] == "EXT-1"
    await desk.service.sync.poll_once()  # no retry storm against a refusing system
    assert (await desk.service.store.external_refs(ticket["ticket_id"]))["strict"]["state"] == "rejected"


@pytest.mark.parametrize("settings_overrides", [{"poll_interval_s": 0.1}])
async def test_the_poll_loop_runs_by_itself(desk: Desk) -> None:
    await desk.handoff()
    await desk.service.sync.drain()
    fake(desk).reply("Automatic hello")
    await desk.relay.wait_for(1)
    await asyncio.sleep(0.3)
    assert desk.relay.texts() == ["Automatic hello"]
    await until(lambda: len(fake(desk).reply_calls) >= 3, what="several poll rounds")
