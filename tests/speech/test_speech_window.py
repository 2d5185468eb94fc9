"""Whisper's input padded to SPEECH_CHUNK_S instead of 30 s: what reaches the encoder, and that nothing
is cut or mixed up between threads. Real models and real speech; the recorder only watches the encoder."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from faster_whisper import WhisperModel
from speech_fixtures import silence

from speech.audio import SAMPLE_RATE, resample
from speech.recognition import encoder_frames, load_recognizer
from speech.settings import SpeechSettings
from speech.synthesis import load_synthesizer
from speech.text import normalize

# Three different sentences (Whisper's loop guard drops a repeated one), together longer than 15 s.
LONG_TEXTS = (
    "I ordered the granite hiking boots in size nine last Tuesday and paid with my credit card.",
    "The parcel arrived this morning but the box was open and one of the laces was missing.",
    "Could you send me a new pair or refund the money to the same card, whichever is quicker for you?",
)
LONG_KEY_WORDS = {"granite", "boots", "tuesday", "parcel", "morning", "laces", "refund", "card", "quicker"}


@pytest.fixture
def encoder_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(thread id, mel frames) of every call that reaches faster-whisper's encoder."""
    calls: list[tuple[int, int]] = []
    original = WhisperModel.encode

    def record(self, features):
        calls.append((threading.get_ident(), features.shape[-1]))
        return original(self, features)

    monkeypatch.setattr(WhisperModel, "encode", record)
    return calls


@pytest.fixture(scope="module")
def long_utterance() -> np.ndarray:
    synthesizer = load_synthesizer("piper")
    parts = []
    for text in LONG_TEXTS:
        speech = synthesizer.synthesize(text)
        parts += [resample(speech.pcm, speech.sample_rate, SAMPLE_RATE), silence(1.0)]  # 15.5-17 s in all
    return np.concatenate(parts)


@pytest.mark.parametrize(
    ("duration_s", "chunk_s", "frames"),
    [(2.0, 15, 1500), (0.4, 15, 1500), (14.2, 15, 1600), (16.0, 15, 1700), (29.5, 15, 3000), (45.0, 15, 3000)],
)
def test_short_utterances_are_padded_to_the_chunk_longer_ones_to_their_length(duration_s, chunk_s, frames):
    assert encoder_frames(duration_s, chunk_s) == frames


def test_thirty_seconds_leaves_faster_whisper_alone():
    assert encoder_frames(2.0, 30) == 0


def test_the_encoder_sees_only_the_padded_length(spoken, encoder_calls):
    pcm = spoken["piper", "order"]
    load_recognizer("tiny.en", chunk_s=15).transcribe(pcm)
    load_recognizer("tiny.en", chunk_s=30).transcribe(pcm)
    assert [frames for _, frames in encoder_calls] == [1500, 3000]


def test_an_utterance_longer_than_the_chunk_is_transcribed_to_the_end(long_utterance, encoder_calls):
    assert long_utterance.size / SAMPLE_RATE > 15
    for model in ("tiny.en", "base"):
        words = set(normalize(load_recognizer(model, chunk_s=15).transcribe(long_utterance).text).split())
        missing = LONG_KEY_WORDS - words
        assert len(missing) <= 1, (model, missing)  # one misheard word at most; no sentence lost
    assert all(frames > 1500 for _, frames in encoder_calls)


def test_threads_with_different_chunks_do_not_mix_them_up(spoken, encoder_calls):
    pcm = spoken["piper", "jacket"]
    recognizers = {15: load_recognizer("tiny.en", chunk_s=15), 30: load_recognizer("tiny.en", chunk_s=30)}
    texts: dict[int, list[str]] = {15: [], 30: []}
    idents: dict[int, int] = {}

    def run(chunk_s: int) -> None:
        idents[chunk_s] = threading.get_ident()
        for _ in range(3):
            texts[chunk_s].append(recognizers[chunk_s].transcribe(pcm).text)

    threads = [threading.Thread(target=run, args=(chunk_s,)) for chunk_s in recognizers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen = {chunk_s: {frames for ident, frames in encoder_calls if ident == idents[chunk_s]} for chunk_s in idents}
    assert seen == {15: {1500}, 30: {3000}}
    assert all({"rain", "jacket", "blue", "medium"} <= set(normalize(t).split()) for t in texts[15]), texts


def test_chunk_setting_is_checked():
    assert SpeechSettings.from_env({}).chunk_s == 15
    assert SpeechSettings.from_env({"SPEECH_CHUNK_S": "20"}).chunk_s == 20
    with pytest.raises(ValueError, match="SPEECH_CHUNK_S"):
        SpeechSettings.from_env({"SPEECH_CHUNK_S": "4"})
    with pytest.raises(ValueError, match="chunk_s"):
        load_recognizer("tiny.en", chunk_s=31)
