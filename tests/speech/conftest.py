"""Real engines for the speech tests: packaged Whisper models, Piper, espeak-ng."""

from __future__ import annotations

import numpy as np
import pytest
from speech_fixtures import UTTERANCES

from speech.audio import SAMPLE_RATE, resample
from speech.recognition import load_recognizer
from speech.synthesis import load_synthesizer


@pytest.fixture(scope="session")
def spoken() -> dict[tuple[str, str], np.ndarray]:
    """Each test utterance spoken once by each engine, as 16 kHz int16 (Piper varies between runs)."""
    out = {}
    for engine_name in ("piper", "espeak"):
        synthesizer = load_synthesizer(engine_name)
        for key, text in UTTERANCES.items():
            speech = synthesizer.synthesize(text)
            out[engine_name, key] = resample(speech.pcm, speech.sample_rate, SAMPLE_RATE)
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
