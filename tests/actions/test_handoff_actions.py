"""action_handoff / action_deescalate: what reaches the desk, what the shopper is told, what is paused.

The desk here is a small aiohttp server recording requests (the real desk is tested in
tests/handoff and end to end in tests/e2e/test_handoff_conversations.py); the HTTP client and the
outbox are the real ones.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from rasa_sdk.executor import CollectingDispatcher

from actions import backend
from actions.handoff import HANDOFF_OFFERED, ActionDeescalate, ActionHandoff, handoff_request
from actions.handoff_outbox import HandoffOutbox
from actions.order_form import ActionSetRequest
from contracts.shop_policies import shop_policies
from service_clients.handoff import HandoffClient


class FakeDesk:
    def __init__(self, status: str = "waiting", agents_online: int = 1) -> None:
        self.status = status
        self.agents_online = agents_online
        self.requests: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/handoffs", self.create)
        return app

    async def create(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer desk-token"
        self.requests.append(await request.json())
        body = {"ticket_id": "T-7", "status": self.status, "agents_online": self.agents_online, "queue_position": 2}
        return web.json_response(body, status=201)


def conversation_events() -> list[dict[str, Any]]:
    def user(text: str, intent: str, negative: float, ts: float) -> dict[str, Any]:
        sentiment = {"label": "negative", "score": -negative, "probabilities": {"negative": negative}}
        parse = {"intent": {"name": intent}, "entities": [{"entity": "order_number", "value": "123456"}]}
        return {
            "event": "user",
            "text": text,
            "timestamp": ts,
            "input_channel": "socketio",
            "parse_data": {**parse, "sentiment": sentiment},
        }

    return [
        user("where is order 123456", "track_order", 0.2, 1.0),
        {"event": "bot", "text": "It is in transit.", "timestamp": 2.0},
        user("IT WAS DUE LAST WEEK!!!", "track_order", 0.95, 3.0),
        {"event": "action", "name": "action_deescalate"},
        user("get me a human", "contact_human_agent", 0.7, 4.0),
    ]


@pytest.fixture
async def desk_client(aiohttp_server, monkeypatch, tmp_path: Path):
    clients: list[HandoffClient] = []

    async def start(desk: FakeDesk | None) -> tuple[FakeDesk | None, HandoffOutbox]:
        if desk is None:
            url = "http://127.0.0.1:9"  # nothing listens there: the desk is down
        else:
            server = await aiohttp_server(desk.app())
            url = str(server.make_url(""))
        client = HandoffClient(url, "desk-token", timeout_s=2.0)
        clients.append(client)
        outbox = HandoffOutbox(tmp_path / "outbox.sqlite")
        monkeypatch.setattr(backend, "handoff_client", lambda: client)
        monkeypatch.setattr(backend, "handoff_outbox", lambda: outbox)
        return desk, outbox

    yield start
    for client in clients:
        await client.close()


async def test_live_handoff_sends_the_whole_context_and_pauses(desk_client, tracker_factory) -> None:
    desk, outbox = await desk_client(FakeDesk())
    tracker = tracker_factory(
        "get me a human", "contact_human_agent", events=conversation_events(), slots={"order_number": None}
    )
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker, {})
    assert {"event": "pause", "timestamp": None} in events
    sent = desk.requests[0]
    assert sent["reason"] == "explicit_request" and sent["channel"] == "socketio"
    assert sent["intent"] == "track_order"  # the problem, not "get me a human"
    assert sent["entities"] == [{"entity": "order_number", "value": "123456"}]
    assert [line["role"] for line in sent["transcript"]] == ["user", "bot", "user", "user"]
    assert [h["label"] for h in sent["sentiment_history"]] == ["negative"] * 3
    assert sent["frustration"] > 0.6
    assert "number 2 in line" in dispatcher.messages[0]["text"]
    assert outbox.pending() == []


async def test_outside_agent_hours_promises_email_and_does_not_pause(desk_client, tracker_factory) -> None:
    await desk_client(FakeDesk(status="follow_up", agents_online=0))
    said_email = {
        "event": "user",
        "text": "ann@example.com",
        "parse_data": {"entities": [{"entity": "email", "value": "ann@example.com"}]},
    }
    tracker = tracker_factory("human please", "contact_human_agent", events=[said_email])
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker, {})
    assert not any(event.get("event") == "pause" for event in events)
    assert "T-7" in dispatcher.messages[0]["text"] and "ann@example.com" in dispatcher.messages[0]["text"]


async def test_desk_down_queues_the_request_and_tells_the_shopper(desk_client, tracker_factory) -> None:
    _, outbox = await desk_client(None)
    tracker = tracker_factory("human please", "contact_human_agent", events=conversation_events())
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, tracker, {})
    assert not any(event.get("event") == "pause" for event in events)
    assert "saved your request" in dispatcher.messages[0]["text"]
    [(_, queued)] = outbox.pending()
    assert queued["conversation_id"] == "unit-test" and len(queued["transcript"]) == 4


async def test_queued_requests_are_delivered_when_the_desk_is_back(aiohttp_server, tmp_path: Path) -> None:
    outbox = HandoffOutbox(tmp_path / "outbox.sqlite")
    outbox.put({"conversation_id": "a"})
    outbox.put({"conversation_id": "b"})
    desk = FakeDesk()
    server = await aiohttp_server(desk.app())
    client = HandoffClient(str(server.make_url("")), "desk-token")
    assert await outbox.deliver_pending(client.create_handoff) == 2
    assert [r["conversation_id"] for r in desk.requests] == ["a", "b"] and outbox.pending() == []
    await client.close()


async def test_outbox_survives_a_restart(tmp_path: Path) -> None:
    HandoffOutbox(tmp_path / "o.sqlite").put({"conversation_id": "kept"})
    assert HandoffOutbox(tmp_path / "o.sqlite").pending()[0][1] == {"conversation_id": "kept"}


async def test_deescalation_apologises_and_offers_a_person(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionDeescalate().run(dispatcher, tracker_factory("THIS IS USELESS"), {})
    text = dispatcher.messages[0]["text"]
    assert "sorry" in text.lower() and "colleague" in text
    assert events == [{"event": "slot", "timestamp": None, "name": "awaiting_confirmation", "value": HANDOFF_OFFERED}]


async def test_repeated_failure_reason(tracker_factory) -> None:
    fallbacks = [{"event": "user", "text": t, "parse_data": {"intent": {"name": "nlu_fallback"}}} for t in "abc"]
    request = await handoff_request(tracker_factory("c", "nlu_fallback", events=fallbacks))
    assert request["reason"] == "repeated_failure" and request["customer"]["id"] is None


async def test_a_request_the_desk_rejects_is_set_aside_not_retried_forever(aiohttp_server, tmp_path: Path) -> None:
    async def reject(request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "invalid_request", "message": "bad field"}}, status=422)

    app = web.Application()
    app.router.add_post("/api/handoffs", reject)
    server = await aiohttp_server(app)
    client = HandoffClient(str(server.make_url("")), "desk-token")
    outbox = HandoffOutbox(tmp_path / "outbox.sqlite")
    outbox.put({"conversation_id": "bad"})
    outbox.put({"conversation_id": "also-bad"})
    assert await outbox.deliver_pending(client.create_handoff) == 0
    assert outbox.pending() == [] and [r["conversation_id"] for _, r in outbox.rejected()] == ["bad", "also-bad"]
    await client.close()


async def test_a_call_can_be_transferred_to_the_shops_phone_line(desk_client, tracker_factory, monkeypatch) -> None:
    from actions import handoff

    await desk_client(FakeDesk())
    policies = handoff.shop_policies()
    monkeypatch.setattr(handoff, "shop_policies", lambda: replace(policies, handoff={"voice_transfer": "phone"}))
    dispatcher = CollectingDispatcher()
    call = tracker_factory("a person please", "contact_human_agent", input_channel="voice")
    events = await ActionHandoff().run(dispatcher, call, {})
    assert dispatcher.messages[-1]["custom"] == {"handoff": {"ticket_id": "T-7"}}
    assert not any(event.get("event") == "pause" for event in events)  # the call leaves the assistant


async def test_a_typed_email_goes_to_the_desk_marked_unverified(tracker_factory) -> None:
    """Anyone can type anyone's address: it must not become the requester of an external ticket."""
    said_email = {
        "event": "user",
        "text": "write to victim@example.org",
        "parse_data": {"entities": [{"entity": "email", "value": "victim@example.org"}]},
    }
    request = await handoff_request(tracker_factory("human please", "contact_human_agent", events=[said_email]))
    assert request["customer"]["email"] is None
    assert request["customer"]["unverified_email"] == "victim@example.org"


async def test_two_workers_never_send_one_queued_hand_off_twice(aiohttp_server, tmp_path: Path) -> None:
    """Both workers retry from the same file; a row is claimed before it is sent."""
    gate = asyncio.Event()
    desk = FakeDesk()

    async def slow_create(request: web.Request) -> web.Response:
        await gate.wait()  # both workers are mid-round before the desk answers
        return await desk.create(request)

    app = web.Application()
    app.router.add_post("/api/handoffs", slow_create)
    server = await aiohttp_server(app)
    client = HandoffClient(str(server.make_url("")), "desk-token")
    first, second = HandoffOutbox(tmp_path / "o.sqlite"), HandoffOutbox(tmp_path / "o.sqlite")
    for name in ("a", "b", "c"):
        first.put({"conversation_id": name})
    rounds = [asyncio.create_task(outbox.deliver_pending(client.create_handoff)) for outbox in (first, second)]
    await asyncio.sleep(0.3)
    gate.set()
    assert sorted(await asyncio.gather(*rounds)) == [0, 3]
    assert [r["conversation_id"] for r in desk.requests] == ["a", "b", "c"] and first.pending() == []
    await client.close()


async def test_a_claim_of_a_worker_that_died_runs_out(tmp_path: Path) -> None:
    dead, alive = HandoffOutbox(tmp_path / "o.sqlite"), HandoffOutbox(tmp_path / "o.sqlite")
    dead.lease_s = 0.2
    dead.put({"conversation_id": "a"})
    assert [row for _, row in dead.claim()] == [{"conversation_id": "a"}]  # then the process is killed
    assert alive.claim() == []
    await asyncio.sleep(0.3)
    assert [row for _, row in alive.claim()] == [{"conversation_id": "a"}]


async def test_the_retry_loop_runs_without_a_new_hand_off(aiohttp_server, tmp_path: Path) -> None:
    """It used to stop when nothing was pending and start only with the next hand-off."""
    outbox = HandoffOutbox(tmp_path / "o.sqlite")
    desk = FakeDesk()
    server = await aiohttp_server(desk.app())
    client = HandoffClient(str(server.make_url("")), "desk-token")
    outbox.keep_retrying(client.create_handoff, every_s=0.05)
    await asyncio.sleep(0.2)  # nothing pending for a while: the loop keeps running
    assert outbox.retrying()
    outbox.put({"conversation_id": "queued-later"})
    for _ in range(100):
        if desk.requests:
            break
        await asyncio.sleep(0.05)
    assert [r["conversation_id"] for r in desk.requests] == ["queued-later"] and outbox.pending() == []
    await client.close()


def upset(text: str, intent: str, frustration: float) -> dict[str, Any]:
    verdict = {"score": frustration, "frustrated": frustration >= 0.5, "source": "model"}
    parse = {"intent": {"name": intent}, "entities": [], "frustration": verdict}
    return {"event": "user", "text": text, "parse_data": parse}


async def test_an_upset_order_question_opens_with_an_apology_then_the_form_asks(tracker_factory) -> None:
    text = "my fucking package never arrived and nobody answers"
    dispatcher = CollectingDispatcher()
    events = await ActionSetRequest().run(
        dispatcher, tracker_factory(text, "track_order", events=[upset(text, "track_order", 0.99)]), {}
    )
    assert [m["text"] for m in dispatcher.messages] == [shop_policies().message("acknowledge_upset.track_order")]
    assert "parcel" in dispatcher.messages[0]["text"] and "sorry" in dispatcher.messages[0]["text"].lower()
    assert {"event": "slot", "timestamp": None, "name": "pending_request", "value": "track_order"} in events


async def test_only_the_first_upset_message_gets_the_apology_and_calm_ones_none(tracker_factory) -> None:
    first = upset("where is my damn refund", "get_invoice", 0.99)
    dispatcher = CollectingDispatcher()
    await ActionSetRequest().run(dispatcher, tracker_factory("x", "get_invoice", events=[first]), {})
    assert [m["text"] for m in dispatcher.messages] == [shop_policies().message("acknowledge_upset.default")]
    second = [first, {"event": "action", "name": "action_set_request"}, upset("and the invoice???", "get_invoice", 0.9)]
    for events in (second, [upset("where is my parcel?", "track_order", 0.04)]):
        dispatcher = CollectingDispatcher()
        await ActionSetRequest().run(dispatcher, tracker_factory("x", "track_order", events=events), {})
        assert dispatcher.messages == []
