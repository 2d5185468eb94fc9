"""Real engines for the speech tests: packaged Whisper models, Piper (recorded takes), espeak-ng."""

from __future__ import annotations

import numpy as np
import pytest
from speech_fixtures import UTTERANCES, recorded_piper_take

from speech.audio import SAMPLE_RATE, resample
from speech.recognition import load_recognizer
from speech.synthesis import load_synthesizer


@pytest.fixture(scope="session")
def spoken() -> dict[tuple[str, str], np.ndarray]:
    """Each test utterance spoken by each engine, as 16 kHz int16: the same input in every session.

    Piper samples noise, so each take sounds different: its takes are recorded once
    (data/record_piper_takes.py). espeak-ng says the same thing every time and is synthesised here.
    """
    espeak = load_synthesizer("espeak")
    out = {}
    for key, text in UTTERANCES.items():
        out["piper", key] = recorded_piper_take(key)
        speech = espeak.synthesize(text)
        out["espeak", key] = resample(speech.pcm, speech.sample_rate, SAMPLE_RATE)
    return out


@pytest.fixture(scope="session")
def tiny():
    return load_recognizer("tiny.en", threads=1)


@pytest.fixture(scope="session")
def base():
    return load_recognizer("base", threads=1)


@pytest.fixture(scope="session")
def recognizers(tiny, base):
    return {"tiny.en": tiny, "base": base}
