"""channels.guard: every message gets an answer, bad input never reaches Rasa (Rasa venv)."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.guard import Admission, MessageGuard, admission, answer_every_message, clean_text
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
    assert await run(Agent(fail=True), "where is my order") == [shop_policies().message("not_stored")]


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


class HeldAgent:
    """Answers only when released: a turn that takes as long as the test wants."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.seen: list[str] = []

    async def __call__(self, message: UserMessage) -> None:
        self.seen.append(message.text)
        await self.release.wait()
        await message.output_channel.send_text_message(message.sender_id, f"answer to {message.text}")


async def guarded_turn(guard: MessageGuard, text: str) -> list[str]:
    collector = CollectingOutputChannel()
    await guard(UserMessage(text, collector, f"s-{text}", input_channel="admission-test"))
    return [m["text"] for m in collector.messages]


async def test_a_turn_that_finds_no_slot_in_time_is_told_the_assistant_is_busy():
    agent = HeldAgent()
    guard = answer_every_message(agent, 50, Admission(max_in_progress=1, wait_s=0.2))
    first = asyncio.create_task(guarded_turn(guard, "one"))
    await asyncio.sleep(0.05)
    busy_before = turns("admission-test", "busy")
    assert await guarded_turn(guard, "two") == [shop_policies().message("busy")]
    assert agent.seen == ["one"], "the refused message must not be processed"
    assert turns("admission-test", "busy") == busy_before + 1
    agent.release.set()
    assert await first == ["answer to one"]
    assert await guarded_turn(guard, "three") == ["answer to three"], "the slot is free again"


async def test_a_turn_waits_for_a_slot_while_one_frees_up_in_time():
    agent = HeldAgent()
    guard = answer_every_message(agent, 50, Admission(max_in_progress=1, wait_s=5))
    first = asyncio.create_task(guarded_turn(guard, "one"))
    second = asyncio.create_task(guarded_turn(guard, "two"))
    await asyncio.sleep(0.1)
    assert agent.seen == ["one"], "the second turn waits while the first holds the only slot"
    agent.release.set()
    assert await first == ["answer to one"] and await second == ["answer to two"]


async def test_a_failing_turn_gives_its_slot_back():
    guard = answer_every_message(Agent(fail=True), 50, Admission(max_in_progress=1, wait_s=0.1))
    for _ in range(3):
        assert await run_with(guard, "where is my order") == [shop_policies().message("not_stored")]


async def run_with(guard: MessageGuard, text: str) -> list[str]:
    collector = CollectingOutputChannel()
    await guard(UserMessage(text, collector, "s1"))
    return [m["text"] for m in collector.messages]


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"RASA_MAX_TURNS_IN_PROGRESS": "0"}, "at least 1"),
        ({"RASA_MAX_TURNS_IN_PROGRESS": "many"}, "RASA_MAX_TURNS_IN_PROGRESS"),
        ({"RASA_ADMISSION_WAIT_S": "-1"}, "at least 0"),
    ],
)
def test_wrong_admission_settings_are_refused_naming_the_variable(monkeypatch, variables, problem):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=problem):
        Admission.from_env()


def test_admission_defaults(monkeypatch):
    monkeypatch.delenv("RASA_MAX_TURNS_IN_PROGRESS", raising=False)
    monkeypatch.delenv("RASA_ADMISSION_WAIT_S", raising=False)
    gate = Admission.from_env()
    assert (gate.max_in_progress, gate.wait_s) == (16, 8.0)


def test_wrong_admission_setting_stops_the_server_at_start_not_at_the_first_message(monkeypatch):
    monkeypatch.setattr("channels.guard._admission", None)
    monkeypatch.setenv("RASA_MAX_TURNS_IN_PROGRESS", "0")
    guard = answer_every_message(Agent(), 50)
    with pytest.raises(ValueError, match="at least 1"):
        guard.start(app=object())


def test_server_start_reads_the_admission_settings_once_for_the_process(monkeypatch):
    monkeypatch.setattr("channels.guard._admission", None)
    monkeypatch.setenv("RASA_MAX_TURNS_IN_PROGRESS", "3")
    answer_every_message(Agent(), 50).start(app=object())
    monkeypatch.setenv("RASA_MAX_TURNS_IN_PROGRESS", "5")  # read once: a later change is not seen
    answer_every_message(Agent(), 50).start(app=object())
    assert admission().max_in_progress == 3


class Relay:
    """The hand-off relay's one question: is the conversation held for an agent?"""

    def __init__(self, held: bool = True, down: bool = False) -> None:
        self.held, self.down, self.asked = held, down, 0

    async def forward_if_held(self, sender_id: str, text: str) -> bool:
        self.asked += 1
        if self.down:
            raise ConnectionRefusedError("the tracker store is down")
        return self.held


async def answers_with(relay: Relay, agent: Agent) -> list[str]:
    guard = answer_every_message(agent, 50)
    guard.relay = lambda: relay  # type: ignore[method-assign]
    collector = CollectingOutputChannel()
    await guard(UserMessage("my email is jo@example.com", collector, "s1"))
    return [m["text"] for m in collector.messages]


async def test_a_silent_turn_in_a_held_conversation_goes_to_the_agent():
    relay = Relay(held=True)
    assert await answers_with(relay, Agent(reply=None)) == []
    assert relay.asked == 1


async def test_a_failed_turn_gets_the_apology_without_asking_whether_the_conversation_is_held():
    """A turn that raised was not processed (e.g. the tracker store is down): not for an agent either."""
    relay = Relay(held=True)
    assert await answers_with(relay, Agent(fail=True)) == [shop_policies().message("not_stored")]
    assert relay.asked == 0


async def test_a_relay_that_cannot_tell_leaves_the_shopper_the_apology():
    relay = Relay(down=True)
    assert await answers_with(relay, Agent(reply=None)) == [shop_policies().message("assistant_error")]


class RepliesThenCannotStore(Agent):
    """Rasa stores a turn after it has replied: a tracker store that fails then raises after the replies."""

    async def __call__(self, message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": "please tell me your email"})
        raise OSError(28, "No space left on device")


async def test_replies_of_a_turn_that_was_not_stored_are_withdrawn_and_the_shopper_asked_to_send_it_again():
    assert await run(RepliesThenCannotStore(), "104532") == [shop_policies().message("not_stored")]


async def test_only_this_turns_replies_are_withdrawn():
    collector = CollectingOutputChannel()
    collector.messages.append({"recipient_id": "s1", "text": "an earlier reply"})
    await answer_every_message(RepliesThenCannotStore(), 50)(UserMessage("104532", collector, "s1"))
    assert [m["text"] for m in collector.messages] == ["an earlier reply", shop_policies().message("not_stored")]
