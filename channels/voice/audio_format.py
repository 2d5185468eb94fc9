"""The caller's audio format, and the per-call conversion between it and the 16 kHz audio of the models.

Twilio always streams 8 kHz mu-law; the browser page may declare ``audio/l16`` (16-bit little-endian
PCM) at 8 or 16 kHz instead, and replies use the caller's format. Providers name formats the same
way (MIME type, sample rate), so this module serves every serializer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from speech.audio import (
    SAMPLE_RATE,
    MulawStreamDecoder,
    StreamResampler,
    pcm16_from_bytes,
    pcm16_to_mulaw,
    resample,
)

MULAW = "audio/x-mulaw"
L16 = "audio/l16"
SUPPORTED_FORMATS = {MULAW: (8000,), L16: (8000, 16000)}
FRAME_MS = 20


class UnsupportedAudioFormat(ValueError):
    """An encoding, rate or channel count the gateway does not take; the text names what it takes."""


@dataclass(frozen=True)
class AudioFormat:
    encoding: str = MULAW
    sample_rate: int = 8000

    @classmethod
    def checked(cls, encoding: str, sample_rate: Any, channels: Any = 1) -> AudioFormat:
        """The format a provider declared, or UnsupportedAudioFormat saying which ones are supported."""
        encoding = encoding.lower()
        if encoding not in SUPPORTED_FORMATS:
            raise UnsupportedAudioFormat(
                f"unsupported encoding {encoding!r}: use {MULAW} (8000 Hz) or {L16} (8000/16000 Hz)"
            )
        if sample_rate not in SUPPORTED_FORMATS[encoding]:
            allowed = " or ".join(str(r) for r in SUPPORTED_FORMATS[encoding])
            raise UnsupportedAudioFormat(f"unsupported sample rate {sample_rate!r} for {encoding}: use {allowed} Hz")
        if channels != 1:
            raise UnsupportedAudioFormat(f"only mono audio is supported, got {channels!r} channels")
        return cls(encoding, int(sample_rate))

    @property
    def bytes_per_frame(self) -> int:
        """One 20 ms frame: 160 bytes of 8 kHz mu-law, 640 bytes of 16 kHz l16."""
        width = 1 if self.encoding == MULAW else 2
        return self.sample_rate * FRAME_MS // 1000 * width


class InboundDecoder:
    """The caller's frames → 16 kHz int16 for the VAD and the recognizer (stateful, one per call)."""

    def __init__(self, audio_format: AudioFormat) -> None:
        self.format = audio_format
        if audio_format.encoding == MULAW:
            self._mulaw = MulawStreamDecoder(audio_format.sample_rate, SAMPLE_RATE)
        else:
            self._resampler = StreamResampler(audio_format.sample_rate, SAMPLE_RATE)

    def decode(self, payload: bytes) -> np.ndarray:
        """Raises AudioError for an odd-length l16 frame (truncated); a mu-law frame of any length is audio."""
        if self.format.encoding == MULAW:
            return self._mulaw.decode(payload)
        return self._resampler.process(pcm16_from_bytes(payload))


def encode_reply(pcm: np.ndarray, rate: int, audio_format: AudioFormat) -> list[bytes]:
    """Synthesised speech → the caller's format, cut into 20 ms frames (the last one may be shorter)."""
    if audio_format.encoding == MULAW:
        data = pcm16_to_mulaw(pcm, rate, audio_format.sample_rate)
    else:
        data = resample(pcm, rate, audio_format.sample_rate).astype("<i2").tobytes()
    size = audio_format.bytes_per_frame
    return [data[i : i + size] for i in range(0, len(data), size)]
