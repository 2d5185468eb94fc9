"""channels.voice.processors.turn_detector: where a turn's audio begins and ends, what is kept between
turns, a monologue cut into turns, and the words of a caller who hangs up (fake recognizer, real VAD)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np
import pytest

from channels.voice.processors.turn_detector import (
    IDLE_AUDIO_S,
    PRE_ROLL_S,
    TAIL_S,
    AudioBuffer,
    TurnDetector,
)
from channels.voice.settings import VoiceSettings
from speech.audio import SAMPLE_RATE
from speech.recognition import Transcript

FRAME = SAMPLE_RATE // 50  # 20 ms


@dataclass
class FakeRecognizer:
    heard: list[int] = field(default_factory=list)  # samples of each recognised piece of audio
    delay_s: float = 0.0

    async def transcribe(self, pcm16k: np.ndarray) -> Transcript:
        self.heard.append(pcm16k.size)
        await asyncio.sleep(self.delay_s)
        return Transcript("where is my order", 0.9, "en", pcm16k.size / SAMPLE_RATE, False)


@dataclass
class Detected:
    starts: int = 0
    turns: list[asyncio.Future[Transcript]] = field(default_factory=list)


def detector(**settings: float) -> tuple[TurnDetector, FakeRecognizer, Detected]:
    stt, seen = FakeRecognizer(), Detected()

    def started() -> None:
        seen.starts += 1

    options = VoiceSettings(token="t" * 40, **settings)  # type: ignore[arg-type]
    return TurnDetector(options, stt, started, seen.turns.append), stt, seen


def silence(seconds: float) -> list[np.ndarray]:
    return [np.zeros(FRAME, np.int16)] * int(seconds * 50)


def test_the_audio_buffer_is_addressed_by_sample_since_the_call_began() -> None:
    buffer = AudioBuffer()
    buffer.append(np.arange(100, dtype=np.int16))
    buffer.append(np.arange(100, 200, dtype=np.int16))
    buffer.keep_from(150)
    assert (buffer.start, buffer.end) == (150, 200)
    assert buffer.slice(140, 155).tolist() == [150, 151, 152, 153, 154], "what was dropped is gone"


async def test_between_turns_only_the_last_seconds_of_audio_are_kept() -> None:
    turns, _, seen = detector()
    for frame in silence(3 * IDLE_AUDIO_S):
        turns.feed(frame)
    kept = (turns.audio.end - turns.audio.start) / SAMPLE_RATE
    assert IDLE_AUDIO_S <= kept <= 2 * IDLE_AUDIO_S and seen.starts == 0 and not seen.turns


async def test_a_turn_runs_from_before_the_speech_start_to_a_tail_after_the_silence() -> None:
    turns, stt, seen = detector(speculate_ms=0)
    for frame in silence(1.0):
        turns.feed(frame)
    turns.speech_started(SAMPLE_RATE // 2)
    assert seen.starts == 1 and turns.in_speech
    for frame in silence(0.5):
        turns.feed(frame)
    turns.speech_ended(SAMPLE_RATE)
    (turn,) = seen.turns
    assert (await turn).text == "where is my order" and not turns.in_speech
    start = SAMPLE_RATE // 2 - int(PRE_ROLL_S * SAMPLE_RATE)
    assert stt.heard == [SAMPLE_RATE + int(TAIL_S * SAMPLE_RATE) - start], "pre-roll, speech and the tail"


async def test_a_monologue_is_answered_in_parts() -> None:
    turns, _, seen = detector(max_utterance_s=1.0, speculate_ms=0)
    turns.speech_started(0)
    for frame in silence(2.5):
        turns.feed(frame)
    assert len(seen.turns) == 2 and turns.in_speech, "cut at every second, the caller still speaking"


@pytest.mark.parametrize(("seconds", "kept"), [(0.2, False), (0.6, True)])
async def test_the_words_of_a_caller_who_hangs_up_are_kept_if_long_enough(seconds: float, kept: bool) -> None:
    turns, _, _ = detector()
    assert turns.unfinished_utterance() is None
    turns.speech_started(0)
    turns.audio.append(np.zeros(int(seconds * SAMPLE_RATE), np.int16))
    audio = turns.unfinished_utterance()
    assert (audio is not None) == kept and (audio is None or audio.size == int(seconds * SAMPLE_RATE))


async def test_an_ended_call_takes_its_recognitions_out_of_the_pool() -> None:
    turns, stt, _ = detector()
    stt.delay_s = 10
    job = turns.transcribe(np.zeros(SAMPLE_RATE, np.int16))
    turns.cancel_recognitions()
    await asyncio.gather(job, return_exceptions=True)
    await asyncio.sleep(0)  # the done callbacks run
    assert job.cancelled() and not turns.recognitions
