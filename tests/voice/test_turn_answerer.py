"""channels.voice.processors.turn_answerer: TurnFrames in, answered one at a time and in order; a full
queue, a failing turn, a hand-off and the last words of a call (fake Rasa and speech, no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from channels.voice.frames import TurnFrame
from channels.voice.processors.confirmation import Confirmation
from channels.voice.processors.dialogue import Conversation
from channels.voice.processors.playback import FIRST_SENTENCE_CHARS
from channels.voice.processors.turn_answerer import TurnAnswerer
from channels.voice.spoken import sentences
from channels.voice.stats import CallStats
from channels.voice.texts import voice_text
from speech.recognition import Transcript
from tests.voice.fakes import FakeVoice, Line, playback


@dataclass
class FakeRasa:
    replies: list[dict[str, Any]] = field(default_factory=lambda: [{"text": "Done."}])
    delay_s: float = 0.0
    log: list[str] = field(default_factory=list)  # "start <text>" / "end <text>", in the order they happened
    metadata: list[dict[str, Any]] = field(default_factory=list)

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        self.log.append(f"start {text}")
        self.metadata.append(metadata)
        await asyncio.sleep(self.delay_s)
        for reply in self.replies:
            yield reply
        self.log.append(f"end {text}")


@dataclass
class Answering:
    """A TurnAnswerer running on a fake line, with what it reported."""

    rasa: FakeRasa = field(default_factory=FakeRasa)
    voice: FakeVoice = field(default_factory=FakeVoice)
    line: Line = field(default_factory=Line)
    stats: CallStats = field(default_factory=CallStats)
    answered: int = 0
    endings: list[str] = field(default_factory=list)
    max_pending: int = 3

    def __post_init__(self) -> None:
        self.playback = playback(self.voice, self.line)
        self.conversation = Conversation(self.rasa, "CA7", "+15550100", lambda: None)
        self.answerer = TurnAnswerer(
            call_id="CA7",
            conversation=self.conversation,
            confirmation=Confirmation(confirm_below=0.5),
            playback=self.playback,
            stats=self.stats,
            max_pending=self.max_pending,
            on_answered=self.count_answer,
            on_last_reply=self.endings.append,
        )

    def count_answer(self) -> None:
        self.answered += 1

    async def settle(self, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not self.answerer.idle or self.playback.speaking or self.conversation.requests:
                await asyncio.sleep(0.01)


def heard(text: str, confidence: float = 0.9) -> TurnFrame:
    transcript: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
    transcript.set_result(Transcript(text, confidence, "en", 1.0, not text))
    return TurnFrame("speech", transcript=transcript)


@pytest.fixture
async def running() -> AsyncIterator[Answering]:
    answering = Answering()
    task = asyncio.create_task(answering.answerer.run())
    yield answering
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def start(answering: Answering) -> asyncio.Task[None]:
    return asyncio.create_task(answering.answerer.run())


async def test_turns_are_answered_one_at_a_time_in_the_order_they_were_said(running: Answering) -> None:
    running.rasa.delay_s = 0.05
    running.answerer.push(heard("first"))
    running.answerer.push(TurnFrame("dtmf", text="104532"))
    running.answerer.push(heard("third"))
    assert not running.answerer.idle
    await running.settle()
    assert running.rasa.log == ["start first", "end first", "start 104532", "end 104532", "start third", "end third"]
    assert running.voice.said == ["Done."] * 3 and running.answered == 3
    assert running.stats.turns == 3 and running.stats.dtmf_entries == 1
    assert running.rasa.metadata[1] == {"caller": "+15550100", "asr_confidence": 1.0, "input_mode": "dtmf"}


async def test_a_speech_turn_logs_when_its_transcript_reply_and_first_audio_came(running: Answering) -> None:
    turn = heard("where is my order")
    running.answerer.push(turn)
    await running.settle()
    assert list(turn.timing) == ["transcript_s", "rasa_s", "first_audio_s"]
    assert turn.timing["transcript_s"] <= turn.timing["rasa_s"] <= turn.timing["first_audio_s"]


async def test_a_full_queue_drops_the_oldest_waiting_turn_and_says_so_before_the_next_answer() -> None:
    answering = Answering(max_pending=1)
    answering.rasa.delay_s = 0.2
    task = start(answering)
    try:
        answering.answerer.push(heard("first"))
        await asyncio.sleep(0.05)  # being answered
        waiting: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
        answering.answerer.push(TurnFrame("speech", transcript=waiting))
        answering.answerer.push(heard("third"))
        assert waiting.cancelled(), "the dropped turn's recognition leaves the pool"
        assert answering.stats.turns_dropped == 1
        await answering.settle()
    finally:
        task.cancel()
    assert answering.rasa.log == ["start first", "end first", "start third", "end third"]
    notice = [sentence for sentence in answering.voice.said if sentence.startswith("Sorry, you said more")]
    assert len(notice) == 1 and answering.voice.said.index(notice[0]) < answering.voice.said.index("Done.", 1)


async def test_a_turn_that_fails_is_apologised_for_and_the_next_one_is_answered(running: Answering) -> None:
    broken: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
    broken.set_exception(RuntimeError("the recognizer crashed"))
    running.answerer.push(TurnFrame("speech", transcript=broken))
    await running.settle()
    assert running.voice.said == sentences(voice_text("assistant_error"), first_max_chars=FIRST_SENTENCE_CHARS)
    running.answerer.push(heard("where is my order"))
    await running.settle()
    assert running.voice.said[-1] == "Done."
    assert running.rasa.log == ["start where is my order", "end where is my order"] and running.answered == 2


@pytest.mark.parametrize("payload", [{"handoff": {"desk": "support"}}, {"end_call": True}])
async def test_a_bot_message_that_ends_the_conversation_ends_the_stream_after_it(
    running: Answering, payload: dict[str, Any]
) -> None:
    running.rasa.replies = [{"text": "Goodbye."}, {"custom": payload}]
    running.answerer.push(heard("bye"))
    await running.settle()
    await asyncio.sleep(0.01)  # the end-of-call mark is sent in the background
    assert running.endings == list(payload)
    assert running.line.marks() == ["say-1"]  # the answerer reports; hang_up.py sends the end-of-call mark


async def test_after_the_last_words_no_waiting_turn_is_answered(running: Answering) -> None:
    running.playback.start(running.playback.say_last("Our time is up."), last_words=True)
    running.answerer.push(heard("one more question"))
    running.answerer.push(TurnFrame("dtmf", text="1"))
    await running.settle()
    assert running.rasa.log == [] and running.voice.said == ["Our time is up."]
