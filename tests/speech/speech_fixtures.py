"""Helpers for the speech tests: test utterances, silence, noise, FFmpeg encoding, the telephone path."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import av
import numpy as np

from speech.audio import SAMPLE_RATE, mulaw_to_pcm16, pcm16_to_mulaw

ORDER = "where is my order one two three four five"
JACKET = "do you have the rain jacket in blue size medium"
UTTERANCES = {"order": ORDER, "jacket": JACKET}
DATA = Path(__file__).parent / "data"


def piper_take_path(key: str) -> Path:
    """Where the recorded Piper take of UTTERANCES[key] lies (data/record_piper_takes.py wrote it)."""
    return DATA / f"piper-{key}.wav"


def recorded_piper_take(key: str) -> np.ndarray:
    """The fixed Piper take of UTTERANCES[key]: 16 kHz int16 mono (Piper's voice varies per take)."""
    with wave.open(str(piper_take_path(key))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE), wav.getparams()
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.int16)


def white_noise(seconds: float, level: float = 0.1, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * SAMPLE_RATE)) * level * 32767).clip(-32767, 32767).astype(np.int16)


def over_phone(pcm16k: np.ndarray) -> np.ndarray:
    """What the caller's voice looks like after a telephone: 8 kHz G.711 mu-law and back to 16 kHz."""
    return mulaw_to_pcm16(pcm16_to_mulaw(pcm16k, SAMPLE_RATE))


def encode_with_av(pcm: np.ndarray, rate: int, container: str, codec: str, *, layout: str = "mono") -> bytes:
    """Encode int16 mono with FFmpeg (through av) into a container, e.g. ("webm", "libopus")."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        samples = pcm.reshape(1, -1)
        if layout == "stereo":
            samples = np.repeat(pcm[None, :], 2, axis=0).T.reshape(1, -1)  # packed s16: interleaved
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()
