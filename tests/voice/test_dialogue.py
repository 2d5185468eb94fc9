"""channels.voice.processors.dialogue: a caller turn goes to Rasa and its replies arrive in order; a
failure becomes an apology, and the call's end waits for requests in flight."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from channels.voice.processors.dialogue import Conversation, Replies
from channels.voice.services.dialogue import RasaUnavailable


@dataclass
class FakeRasa:
    replies: list[dict[str, Any]] = field(default_factory=lambda: [{"text": "One."}, {"text": "Two."}])
    fail: bool = False
    delay_s: float = 0.0
    stored: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise RasaUnavailable("Rasa answered 502")
        self.stored.append((sender, text, metadata))
        for reply in self.replies:
            yield reply


async def drain(replies: Replies) -> list[dict[str, Any]]:
    messages = []
    while (message := await replies.get()) is not None:
        messages.append(message)
    return messages


async def test_replies_arrive_in_order_and_the_turn_carries_the_callers_metadata() -> None:
    rasa = FakeRasa()
    conversation = Conversation(rasa, "CA1", "+15550100", on_failure=lambda: None)
    metadata = conversation.metadata(0.87654, input_mode="dtmf")
    assert metadata == {"caller": "+15550100", "asr_confidence": 0.877, "input_mode": "dtmf"}
    replies, request = conversation.ask("104532", metadata)
    assert await drain(replies) == [{"text": "One."}, {"text": "Two."}]
    await request
    await asyncio.sleep(0)  # the done callback runs
    assert rasa.stored == [("CA1", "104532", metadata)] and not conversation.requests


async def test_rasa_down_is_an_apology_and_counted() -> None:
    failures: list[int] = []
    conversation = Conversation(FakeRasa(fail=True), "CA1", "+1555", on_failure=lambda: failures.append(1))
    replies, _ = conversation.ask("where is my order", conversation.metadata(0.9))
    (apology,) = await drain(replies)
    assert apology["text"].startswith("Sorry, something went wrong") and failures == [1]


async def test_the_end_of_the_call_waits_for_requests_in_flight() -> None:
    rasa = FakeRasa(delay_s=0.1)
    conversation = Conversation(rasa, "CA1", "+1555", on_failure=lambda: None)
    conversation.ask("I hung up after saying this", conversation.metadata(0.9, hangup=True))
    await conversation.finish(timeout_s=5)
    assert [text for _, text, _ in rasa.stored] == ["I hung up after saying this"]
