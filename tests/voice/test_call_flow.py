"""channels.voice.call: one call's pipeline with a fake Rasa and fake speech engines (own logic only).

The real models and the real Rasa are exercised in test_voice_e2e.py; here the recognizer returns
prepared transcripts, the synthesizer a tone, and "Rasa" records what it was sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from channels.voice.audio_format import L16, AudioFormat
from channels.voice.call import Call
from channels.voice.frames import AudioFrame, StartFrame, TurnFrame
from channels.voice.serializers.twilio import TwilioSerializer
from channels.voice.services.dialogue import RasaUnavailable
from channels.voice.settings import VoiceSettings
from channels.voice.stats import CallStats
from speech.recognition import Transcript
from speech.synthesis import Speech


@dataclass
class FakeEngines:
    spoken: list[str] = field(default_factory=list)
    synth_delay_s: float = 0.0

    async def transcribe(self, pcm16k: np.ndarray) -> Transcript:
        return Transcript("", 0.0, "en", pcm16k.size / 16000, True)

    async def synthesize(self, text: str) -> Speech:
        await asyncio.sleep(self.synth_delay_s)
        self.spoken.append(text)
        return Speech(np.full(2205, 1000, dtype=np.int16), 22050)  # 0.1 s


@dataclass
class FakeRasa:
    replies: list[dict[str, Any]] = field(default_factory=lambda: [{"text": "Order 104532 has shipped."}])
    received: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    delay_s: float = 0.0
    fail: bool = False
    finished: int = 0

    agent_said: list[dict[str, Any]] = field(default_factory=list)
    polls: list[tuple[str, float]] = field(default_factory=list)

    async def agent_messages(self, conversation_id: str, since: float) -> list[dict[str, Any]]:
        self.polls.append((conversation_id, since))
        return [m for m in self.agent_said if m["timestamp"] > since]

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        self.received.append((sender, text, metadata))
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise RasaUnavailable("Rasa answered 502")
        for reply in self.replies:
            yield reply
        self.finished += 1


class Harness:
    def __init__(self, audio_format: AudioFormat | None = None, **settings: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: list[str] = []
        self.engines = FakeEngines()
        self.rasa = FakeRasa()
        self.stats = CallStats()
        options = {"greeting": False, "no_input_s": 0, "confirm_below": 0.5, "dtmf_timeout_ms": 300, "agent_poll_s": 0}
        options |= settings
        self.call = Call(
            call_id="CA1",
            caller="+15550100",
            audio_format=audio_format or AudioFormat(),
            engines=self.engines,  # type: ignore[arg-type]
            rasa=self.rasa,  # type: ignore[arg-type]
            settings=VoiceSettings(token="t" * 40, **options),
            stats=self.stats,
            serializer=TwilioSerializer().for_stream(StartFrame("MZ1", "CA1")),
            send=self.send,
            close_stream=self.close,
        )

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))

    async def close(self, reason: str) -> None:
        self.closed.append(reason)

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["event"] == kind]

    def say(self, text: str, confidence: float = 0.9) -> None:
        future: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
        future.set_result(Transcript(text, confidence, "en", 1.0, not text))
        self.call.answerer.push(TurnFrame("speech", transcript=future))

    async def settle(self, timeout: float = 5.0) -> None:
        """Until the call is idle: no queued turn, nothing being said or sent to Rasa."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            speaking = self.call.playback.speaking
            if self.call.answerer.idle and not speaking and not self.call.conversation.requests:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the call did not settle")


@pytest.fixture
async def phone() -> Any:
    harness = Harness()
    await harness.call.start()
    yield harness
    await harness.call.finish("test over")


async def test_a_turn_goes_to_rasa_and_the_reply_is_spoken_in_frames_and_marks(phone: Harness) -> None:
    phone.rasa.replies = [{"text": "Order 104532 has shipped. It costs $58.65."}, {"text": "Anything else?"}]
    phone.say("Where is my order one zero four five three two?")
    await phone.settle()
    assert phone.rasa.received == [("CA1", "Where is my order 104532?", {"caller": "+15550100", "asr_confidence": 0.9})]
    assert phone.engines.spoken == [
        "Order one zero four five three two has shipped.",
        "It costs 58 dollars 65.",
        "Anything else?",
    ]
    kinds = [m["event"] for m in phone.sent]
    assert kinds.count("mark") == 3 and kinds[-1] == "mark"
    frames = phone.events("media")
    assert len(frames) == 3 * 5  # 0.1 s per sentence = five 20 ms frames of 160 bytes
    assert all(m["streamSid"] == "MZ1" for m in phone.sent)
    assert phone.stats.turns == 1


async def test_low_confidence_is_confirmed_before_rasa_hears_it(phone: Harness) -> None:
    phone.say("where is order 12345", confidence=0.3)
    await phone.settle()
    assert phone.rasa.received == []
    assert phone.engines.spoken == ["Did you say where is order one two three four five?"]
    phone.say("yes", confidence=0.4)
    await phone.settle()
    assert [(text, meta.get("confirmed")) for _, text, meta in phone.rasa.received] == [("where is order 12345", True)]

    said_before = len(phone.engines.spoken)
    phone.say("track order 99999", confidence=0.2)
    phone.say("no", confidence=0.9)
    await phone.settle()
    assert len(phone.rasa.received) == 1  # a "no" sends nothing
    assert "say it again" in " ".join(phone.engines.spoken[said_before:])  # in whichever part it falls
    assert phone.stats.confirmations == 2


async def test_nothing_recognised_gets_a_clear_answer_without_reaching_rasa(phone: Harness) -> None:
    phone.say("", confidence=0.0)
    await phone.settle()
    assert phone.rasa.received == []
    assert phone.engines.spoken == ["Sorry, I didn't catch that.", "Could you say it again?"]


async def test_keypad_digits_are_sent_as_the_order_number(phone: Harness) -> None:
    for digit in "104532#":
        phone.call.on_dtmf(digit)
    await phone.settle()
    for digit in "2468":  # no '#': the pause ends the entry
        phone.call.on_dtmf(digit)
    await asyncio.sleep(0.5)
    await phone.settle()
    assert [(text, meta["input_mode"]) for _, text, meta in phone.rasa.received] == [
        ("104532", "dtmf"),
        ("2468", "dtmf"),
    ]


async def test_barge_in_clears_playback_but_rasa_still_gets_the_turn(phone: Harness) -> None:
    phone.engines.synth_delay_s = 0.2
    phone.rasa.replies = [{"text": "First sentence. Second sentence. Third sentence. Fourth sentence."}]
    phone.say("tell me everything")
    while not phone.events("mark"):
        await asyncio.sleep(0.01)
    phone.call.turn_detector.speech_started(phone.call.turn_detector.audio.end)  # the caller starts talking
    await phone.settle()
    assert phone.events("clear") and phone.stats.barge_ins == 1
    assert len(phone.engines.spoken) < 4  # the rest was never synthesised
    assert phone.rasa.finished == 1
    assert not phone.call.playback.outstanding_marks


async def test_rasa_down_gets_an_apology(phone: Harness) -> None:
    phone.rasa.fail = True
    phone.say("where is my order")
    await phone.settle()
    assert phone.engines.spoken[0].startswith("Sorry, something went wrong")
    assert phone.stats.rasa_failures == 1


async def test_handoff_ends_the_stream_after_the_goodbye_was_played(phone: Harness) -> None:
    phone.rasa.replies = [{"text": "I'm putting you through to a colleague."}, {"custom": {"handoff": {"desk": "x"}}}]
    phone.say("I want to talk to a person")
    await phone.settle()
    names = [m["mark"]["name"] for m in phone.events("mark")]
    assert names[-1] == "end-of-call" and phone.closed == []
    for name in names:
        phone.call.on_mark(name)  # the provider played everything
    await asyncio.sleep(0.05)
    assert phone.closed == ["handoff"]


async def test_frames_with_gaps_and_truncated_frames_are_counted_not_fatal() -> None:
    harness = Harness(AudioFormat(L16, 16000))
    await harness.call.start()
    harness.call.on_audio(AudioFrame(b"\x00" * 640, sequence=3))
    harness.call.on_audio(AudioFrame(b"\x00" * 641, sequence=4))  # truncated: odd byte count
    harness.call.on_audio(AudioFrame(b"\x00" * 640, sequence=9))  # 5, 6, 7, 8 never arrived
    await harness.call.finish("test over")
    assert (harness.stats.frames_in, harness.stats.bad_frames, harness.stats.sequence_gaps) == (3, 1, 4)


async def test_finish_ends_every_task_and_waits_for_rasa() -> None:
    harness = Harness()
    harness.rasa.delay_s = 0.3
    await harness.call.start()
    before = len(asyncio.all_tasks())
    harness.say("where is my order")
    await asyncio.sleep(0.05)
    await harness.call.finish("caller hung up")
    assert harness.rasa.finished == 1  # the turn in flight was stored
    assert harness.stats.active == 0
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) <= before - 2  # the call's turn and timer tasks are gone


async def test_a_human_agents_messages_are_spoken_during_a_hand_off() -> None:
    harness = Harness(agent_poll_s=0.05)
    await harness.call.start()
    try:
        await asyncio.sleep(0.1)
        harness.rasa.agent_said.append({"text": "Hi, this is Sam. Order 104532 left today.", "timestamp": time.time()})
        for _ in range(100):
            if len(harness.engines.spoken) >= 2:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # polled again: the same message is not spoken twice
    finally:
        await harness.call.finish("test over")
    assert harness.engines.spoken == ["Hi, this is Sam.", "Order one zero four five three two left today."]
    assert {conversation for conversation, _ in harness.rasa.polls} == {"voice-CA1"}


async def test_a_full_turn_queue_drops_the_oldest_waiting_turn_and_tells_the_caller() -> None:
    harness = Harness(max_pending_turns=2)
    harness.rasa.delay_s = 0.3
    await harness.call.start()
    try:
        harness.say("first question")
        await asyncio.sleep(0.05)  # being answered: Rasa takes its time
        for text in ("second question", "third question", "fourth question"):
            harness.say(text)
        await harness.settle()
    finally:
        await harness.call.finish("test over")
    assert [text for _, text, _ in harness.rasa.received] == ["first question", "third question", "fourth question"]
    assert harness.stats.turns_dropped == 1
    notice = [i for i, text in enumerate(harness.engines.spoken) if text.startswith("Sorry, you said more")]
    assert len(notice) == 1, harness.engines.spoken
    assert harness.engines.spoken[notice[0] + 2 :].count("Order one zero four five three two has shipped.") == 2


async def test_a_stale_early_guess_is_cancelled_and_one_call_queues_one_guess_at_a_time() -> None:
    harness = Harness(speculate_ms=20)
    started: list[asyncio.Future[Transcript]] = []

    async def slow_transcribe(pcm16k: np.ndarray) -> Transcript:
        started.append(asyncio.get_running_loop().create_future())
        await asyncio.sleep(10)
        raise AssertionError("cancelled before it ends")

    harness.engines.transcribe = slow_transcribe  # type: ignore[method-assign]
    call = harness.call
    detector = call.turn_detector
    await call.start()
    try:
        detector.utterance_start = 0
        for _ in range(5):  # pause, speech, pause, speech...: each pause would start a guess
            detector.vad.last_probability = 0.0
            detector.maybe_speculate(640)
            await asyncio.sleep(0.01)
            detector.vad.last_probability = 0.9
            detector.maybe_speculate(640)
            await asyncio.sleep(0.01)
        assert len(detector.recognitions) == 0, "stale guesses are cancelled, not left in the pool"
        assert len(started) == 5
    finally:
        await call.finish("test over")


async def test_the_call_ends_with_a_goodbye_at_the_time_limit() -> None:
    harness = Harness(max_call_s=0.3)
    await harness.call.start()
    try:
        harness.say("where is my order")
        await asyncio.sleep(0.6)
        goodbye = [m["mark"]["name"] for m in harness.events("mark")]
        assert goodbye[-1] == "end-of-call", goodbye
        harness.call.on_dtmf("1")  # the caller is no longer heard
        harness.call.turn_detector.speech_started(harness.call.turn_detector.audio.end)
        for name in goodbye:
            harness.call.on_mark(name)
        await asyncio.sleep(0.05)
    finally:
        await harness.call.finish("test over")
    assert harness.closed == ["time_limit"]
    assert "time limit for this call" in " ".join(harness.engines.spoken)
    assert harness.stats.time_limited == 1 and harness.stats.barge_ins == 0 and harness.stats.dtmf_entries == 0


async def test_the_stream_ends_after_the_time_limit_even_if_the_goodbye_is_never_confirmed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("channels.voice.processors.time_limit.GOODBYE_GRACE_S", 0.3)
    harness = Harness(max_call_s=0.2)
    await harness.call.start()
    try:
        await asyncio.sleep(0.9)  # no mark is ever echoed
    finally:
        await harness.call.finish("test over")
    assert harness.closed == ["time_limit"]


@pytest.mark.parametrize("tail", ["silence", "consonant"])
async def test_an_early_guess_is_used_only_if_nothing_audible_came_after_it(tail: str) -> None:
    harness = Harness()
    call = harness.call
    await call.start()
    try:
        heard: list[int] = []

        async def transcribe(pcm16k: np.ndarray) -> Transcript:
            heard.append(pcm16k.size)
            return Transcript("what payment methods do you accept", 0.7, "en", pcm16k.size / 16000, False)

        harness.engines.transcribe = transcribe  # type: ignore[method-assign]
        detector = call.turn_detector
        detector.audio.append(np.full(16000, 3000, dtype=np.int16))  # one second of "speech"
        detector.utterance_start = 0
        guess = detector.transcribe(detector.audio.slice(0, detector.audio.end))
        detector.speculation = (detector.audio.end, guess)
        # After the guess: the last consonant, which the VAD scored as silence, or real silence.
        detector.audio.append(np.full(960, 2000 if tail == "consonant" else 20, dtype=np.int16))
        detector.audio.append(np.zeros(6400, dtype=np.int16))
        detector.speech_ended(16000 - 1600)  # the VAD's silence began 100 ms before the guess was taken
        (turn,) = list(call.answerer.turns._items)
        if tail == "silence":
            assert turn.transcript is guess
        else:
            await turn.transcript
            assert guess.cancelled()
            assert heard[-1] == 16000 - 1600 + 4000, "recognised again up to the turn's end (250 ms after silence)"
    finally:
        await call.finish("test over")


async def test_a_turn_is_not_cut_in_the_middle_of_a_sound_the_vad_took_for_silence() -> None:
    harness = Harness(speculate_ms=0)
    call = harness.call
    await call.start()
    try:
        heard: list[int] = []

        async def transcribe(pcm16k: np.ndarray) -> Transcript:
            heard.append(pcm16k.size)
            return Transcript("what payment methods do you accept", 0.7, "en", pcm16k.size / 16000, False)

        harness.engines.transcribe = transcribe  # type: ignore[method-assign]
        detector = call.turn_detector
        detector.audio.append(np.full(16000, 3000, dtype=np.int16))  # one second of "speech"...
        detector.audio.append(np.full(6400, 1500, dtype=np.int16))  # ...going on 0.4 s after the VAD's silence began
        detector.audio.append(np.zeros(6400, dtype=np.int16))
        detector.utterance_start = 0
        detector.speech_ended(16000)
        (turn,) = list(call.answerer.turns._items)
        await turn.transcript
    finally:
        await call.finish("test over")
    # The sound and 100 ms after it (to the next 20 ms window), not just 250 ms after the VAD's silence.
    assert 16000 + 6400 + 1600 <= heard[0] <= 16000 + 6400 + 1600 + 320, heard


async def test_a_silent_caller_is_prompted_twice_then_the_stream_ends() -> None:
    harness = Harness(no_input_s=0.2)
    await harness.call.start()
    echoed = 0
    try:
        for _ in range(200):
            marks = [m["mark"]["name"] for m in harness.events("mark")]
            for name in marks[echoed:]:
                harness.call.on_mark(name)  # the caller's phone played each prompt (an echo resets the quiet)
            echoed = len(marks)
            if harness.closed:
                break
            await asyncio.sleep(0.02)
    finally:
        await harness.call.finish("test over")
    prompts = [text for text in harness.engines.spoken if text.startswith("Are you still there?")]
    assert len(prompts) == 2 and "Goodbye!" in harness.engines.spoken[-1]
    assert harness.closed == ["no_input"]
