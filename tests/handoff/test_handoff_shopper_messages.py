"""Shopper messages forwarded during a hand-off arrive exactly once: the Rasa process re-sends a
message until the desk confirms it (channels/handoff_relay.py), always with the same idempotency key,
so a retry after a lost answer is not a second message for the agent or the external ticket."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.handoff.handoff_support import API, Desk, FakeConnector


@pytest.fixture
def connectors() -> list[Any]:
    return [FakeConnector()]


async def send(desk: Desk, text: str, key: str | None) -> tuple[int, Any]:
    body: dict[str, Any] = {"text": text, "timestamp": time.time()}
    if key is not None:
        body["key"] = key
    response = await desk.client.post("/api/conversations/conv-1/messages", json=body, headers=API)
    return response.status, await response.json()


async def test_a_message_re_sent_with_its_key_is_stored_once(desk: Desk) -> None:
    ticket = await desk.handoff()
    await desk.service.sync.drain()
    first = await send(desk, "Is my parcel lost?", "k-1")
    again = await send(desk, "Is my parcel lost?", "k-1")  # the first answer was lost on the way
    other = await send(desk, "Is my parcel lost?", "k-2")  # the shopper really wrote it twice
    assert first[0] == again[0] == other[0] == 201
    assert first[1]["message_id"] == again[1]["message_id"] != other[1]["message_id"]
    messages = (await desk.service.store.ticket(ticket["ticket_id"]))["messages"]
    assert [m["text"] for m in messages if m["role"] == "user"][-2:] == ["Is my parcel lost?"] * 2
    assert len([m for m in messages if m["role"] == "user" and m["text"] == "Is my parcel lost?"]) == 2
    await desk.service.sync.drain()
    connector = desk.service.sync.connectors[0]
    assert [text for _, text in connector.corresponded] == ["Is my parcel lost?"] * 2


async def test_a_key_is_checked_like_the_rest_of_the_body(desk: Desk) -> None:
    await desk.handoff()
    assert (await send(desk, "hello", ""))[0] == 422
    assert (await send(desk, "hello", "k" * 129))[0] == 422
    assert (await send(desk, "hello", None))[0] == 201  # older senders without a key still work
