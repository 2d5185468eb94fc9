"""Streaming end-of-speech detection on synthesised speech fed as Twilio-sized 20 ms frames."""

from __future__ import annotations

import numpy as np
import pytest
from speech_fixtures import over_phone, silence, white_noise

from speech.audio import SAMPLE_RATE
from speech.vad import EndOfSpeechDetector, VadEvent

FRAME = 320  # 20 ms at 16 kHz


def feed_frames(detector: EndOfSpeechDetector, audio: np.ndarray, frame: int = FRAME) -> list[VadEvent]:
    events: list[VadEvent] = []
    for i in range(0, audio.size, frame):
        events += detector.feed(audio[i : i + frame])
    return events


@pytest.mark.parametrize("engine", ["piper", "espeak"])
@pytest.mark.parametrize("phone", [False, True], ids=["16k", "phone"])
def test_start_and_end_found_in_padded_speech(engine, phone, spoken):
    speech = spoken[engine, "order"]
    audio = np.concatenate([silence(1.0), speech, silence(1.5)])
    if phone:
        audio = over_phone(audio)
    spoken_until = 1.0 + speech.size / SAMPLE_RATE
    detector = EndOfSpeechDetector(min_silence_ms=600)
    events = feed_frames(detector, audio)
    assert [event.kind for event in events] == ["speech_start", "speech_end"], events
    start, end = events
    assert 0.85 <= start.at_s <= 1.25, start
    assert spoken_until - 0.4 <= end.at_s <= spoken_until + 0.2, (end, spoken_until)
    assert not detector.in_speech and detector.position_s <= audio.size / SAMPLE_RATE


def test_end_is_reported_once_the_silence_is_long_enough(spoken):
    speech = spoken["piper", "jacket"]
    detector = EndOfSpeechDetector(min_silence_ms=600)
    assert [e.kind for e in feed_frames(detector, np.concatenate([silence(0.5), speech]))] == ["speech_start"]
    assert feed_frames(detector, silence(0.3)) == []  # a pause, not yet the end
    ends = feed_frames(detector, silence(0.6))
    assert [e.kind for e in ends] == ["speech_end"]


@pytest.mark.parametrize("frame", [1, 160, 320, 511, 512, 4000, 100_000])
def test_any_chunk_size_gives_the_same_events(frame, spoken):
    audio = np.concatenate([silence(0.7), spoken["espeak", "jacket"], silence(1.0)])
    reference = feed_frames(EndOfSpeechDetector(), audio, FRAME)
    assert feed_frames(EndOfSpeechDetector(), audio, frame) == reference and len(reference) == 2


def test_pause_shorter_than_min_silence_keeps_one_utterance(spoken):
    a, b = spoken["piper", "order"], spoken["piper", "jacket"]
    joined = np.concatenate([silence(0.5), a, silence(0.25), b, silence(1.0)])
    apart = np.concatenate([silence(0.5), a, silence(1.5), b, silence(1.0)])
    assert [e.kind for e in feed_frames(EndOfSpeechDetector(min_silence_ms=600), joined)] == [
        "speech_start",
        "speech_end",
    ]
    assert [e.kind for e in feed_frames(EndOfSpeechDetector(min_silence_ms=600), apart)] == [
        "speech_start",
        "speech_end",
    ] * 2


@pytest.mark.parametrize("audio", [silence(5.0), white_noise(5.0, 0.05), white_noise(5.0, 0.3)], ids=str)
def test_silence_and_noise_are_not_speech(audio):
    assert feed_frames(EndOfSpeechDetector(), audio) == []


def test_reset_restarts_the_clock(spoken):
    detector = EndOfSpeechDetector()
    feed_frames(detector, np.concatenate([silence(3.0), spoken["piper", "order"][:8000]]))
    assert detector.in_speech
    detector.reset()
    assert not detector.in_speech and detector.position_s == 0.0
    events = feed_frames(detector, np.concatenate([silence(0.5), spoken["piper", "order"], silence(1.0)]))
    assert 0.35 <= events[0].at_s <= 0.75


def test_bad_input_and_parameters():
    detector = EndOfSpeechDetector()
    with pytest.raises(ValueError, match="int16"):
        detector.feed(np.zeros(320, dtype=np.float32))
    with pytest.raises(ValueError, match="speech_threshold"):
        EndOfSpeechDetector(speech_threshold=1.5)
    assert detector.feed(np.zeros(0, dtype=np.int16)) == []
