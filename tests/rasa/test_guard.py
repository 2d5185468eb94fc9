"""channels.guard: every message gets an answer, bad input never reaches Rasa (Rasa venv)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.guard import answer_every_message, clean_text
from contracts.request_ids import current_request_id
from contracts.shop_policies import shop_policies


class Agent:
    def __init__(self, reply: str | None = "ok", fail: bool = False) -> None:
        self.reply, self.fail, self.seen = reply, fail, []

    async def __call__(self, message: UserMessage) -> None:
        self.seen.append(message.text)
        if self.fail:
            raise RuntimeError("action server unreachable")
        if self.reply:
            await message.output_channel.send_response(message.sender_id, {"text": self.reply})


async def run(agent: Agent, text: str, limit: int = 50) -> list[str]:
    collector = CollectingOutputChannel()
    await answer_every_message(agent, limit)(UserMessage(text, collector, "s1"))
    return [m["text"] for m in collector.messages]


async def test_normal_reply_passes_through_once():
    agent = Agent("hello")
    assert await run(agent, "hi") == ["hello"]
    assert agent.seen == ["hi"]


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01"])
async def test_empty_message_is_answered_without_processing(text):
    agent = Agent()
    assert await run(agent, text) == [shop_policies().message("empty_message")]
    assert agent.seen == []


async def test_too_long_message_is_answered_without_processing():
    agent = Agent()
    replies = await run(agent, "x" * 51, limit=50)
    assert agent.seen == []
    assert "too long" in replies[0] and "under 50 characters" in replies[0]


async def test_silence_gets_an_apology():
    assert await run(Agent(reply=None), "where is my order") == [shop_policies().message("assistant_error")]


async def test_a_failure_gets_an_apology_not_an_exception():
    assert await run(Agent(fail=True), "where is my order") == [shop_policies().message("assistant_error")]


async def test_restart_command_may_be_silent():
    assert await run(Agent(reply=None), "/restart") == []


def test_control_characters_are_dropped():
    assert clean_text(" hi\x00 there\n ") == "hi there"
    assert clean_text(b"bytes") == ""


async def test_the_message_is_handled_under_its_request_id():
    """The caller's id (or a new one for a missing or unsafe one) is stored with the message and is
    current while Rasa handles it, so the action server and Rasa's own log lines carry it."""
    seen: list[tuple[str, str]] = []

    async def agent(message: UserMessage) -> None:
        seen.append((message.metadata["request_id"], current_request_id()))
        await message.output_channel.send_text_message(message.sender_id, "ok")

    guard = answer_every_message(agent, 50)
    await guard(UserMessage("hi", CollectingOutputChannel(), "s1", metadata={"request_id": "web-42"}))
    await guard(UserMessage("hi", CollectingOutputChannel(), "s1", metadata={"request_id": "two\nlines"}))
    await guard(UserMessage("hi", CollectingOutputChannel(), "s1"))
    assert seen[0] == ("web-42", "web-42")
    for stored, current in seen[1:]:
        assert stored == current and len(stored) == 32
    assert seen[1][0] != seen[2][0]
    assert current_request_id() == ""


def turns(channel: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("shop_turns_total", {"channel": channel, "outcome": outcome}) or 0.0


@pytest.mark.parametrize(
    ("agent", "text", "outcome"),
    [
        (Agent("hello"), "hi", "answered"),
        (Agent(), "", "empty"),
        (Agent(), "x" * 51, "too_long"),
        (Agent(reply=None), "where is my order", "apology"),
        (Agent(fail=True), "where is my order", "error"),
        (Agent(reply=None), "/restart", "silent"),
    ],
)
async def test_each_turn_is_counted_once_by_channel_and_how_it_ended(agent, text, outcome):
    outcomes = ("answered", "empty", "too_long", "apology", "error", "silent")
    before = {each: turns("metrics-test", each) for each in outcomes}
    timed = REGISTRY.get_sample_value("shop_turn_duration_seconds_count", {"channel": "metrics-test"}) or 0.0
    message = UserMessage(text, CollectingOutputChannel(), "s1", input_channel="metrics-test")
    await answer_every_message(agent, 50)(message)
    after = {each: turns("metrics-test", each) for each in outcomes}
    assert {each: after[each] - before[each] for each in outcomes} == {
        each: float(each == outcome) for each in outcomes
    }
    assert REGISTRY.get_sample_value("shop_turn_duration_seconds_count", {"channel": "metrics-test"}) == timed + 1
    assert REGISTRY.get_sample_value("shop_turns_in_progress") == 0.0
