"""Streaming end-of-speech detection with the Silero VAD model that ships inside faster-whisper.

faster-whisper's `get_speech_timestamps` works on a whole recording; a phone call needs to know *while
it happens* when the caller starts and stops talking. This runs the same ONNX model window by window
(512 samples = 32 ms at 16 kHz), carrying the recurrent state and the 64-sample context between calls,
so frames of any size (Twilio: 20 ms) can be fed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from speech.audio import SAMPLE_RATE, pcm16_to_float

WINDOW = 512
CONTEXT = 64


@dataclass(frozen=True)
class VadEvent:
    kind: Literal["speech_start", "speech_end"]
    at_s: float  # seconds since the detector started or was reset


def _silero_session():
    from faster_whisper.vad import get_vad_model  # cached ONNX session, 1 thread

    return get_vad_model().session


class EndOfSpeechDetector:
    """Hysteresis over Silero speech probabilities: start after `min_speech_ms` of speech, end after
    `min_silence_ms` below `speech_threshold - 0.15`. Events carry the time speech started / stopped."""

    def __init__(self, *, min_silence_ms: int = 600, speech_threshold: float = 0.5, min_speech_ms: int = 200) -> None:
        if not 0.0 < speech_threshold < 1.0:
            raise ValueError("speech_threshold must be between 0 and 1")
        self.speech_threshold = speech_threshold
        self.silence_threshold = max(speech_threshold - 0.15, 0.01)
        self.min_silence_s = min_silence_ms / 1000
        self.min_speech_s = min_speech_ms / 1000
        self._session = _silero_session()
        self.reset()

    def reset(self) -> None:
        self._pending = np.zeros(0, dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._windows = 0
        self.in_speech = False
        self.last_probability = 0.0
        self._speech_since: float | None = None  # candidate start while not yet in speech
        self._silence_since: float | None = None  # candidate end while in speech

    @property
    def hearing_speech(self) -> bool:
        """In speech and not in a pause that may turn out to be its end."""
        return self.in_speech and self._silence_since is None

    @property
    def position_s(self) -> float:
        """Audio time processed so far (whole windows)."""
        return self._windows * WINDOW / SAMPLE_RATE

    def _probability(self, window: np.ndarray) -> float:
        batch = np.concatenate([self._context, window])[None, :]
        probs, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = window[-CONTEXT:]
        return float(np.asarray(probs).reshape(-1)[0])

    def feed(self, pcm16k: np.ndarray) -> list[VadEvent]:
        """Process 16 kHz int16 samples of any length; return the events they complete."""
        samples = np.asarray(pcm16k)
        if samples.ndim != 1 or samples.dtype != np.int16:
            raise ValueError(f"expected 1-D int16 samples at 16 kHz, got {samples.dtype} {samples.shape}")
        self._pending = np.concatenate([self._pending, pcm16_to_float(samples)])
        events: list[VadEvent] = []
        while self._pending.size >= WINDOW:
            window, self._pending = self._pending[:WINDOW], self._pending[WINDOW:]
            start = self.position_s
            self._windows += 1
            event = self._step(self._probability(window), start)
            if event:
                events.append(event)
        return events

    def _step(self, prob: float, at: float) -> VadEvent | None:
        self.last_probability = prob
        end = at + WINDOW / SAMPLE_RATE
        if not self.in_speech:
            if prob >= self.speech_threshold:
                if self._speech_since is None:
                    self._speech_since = at
                if end - self._speech_since >= self.min_speech_s:
                    self.in_speech, self._silence_since = True, None
                    return VadEvent("speech_start", round(self._speech_since, 3))
            elif prob < self.silence_threshold:
                self._speech_since = None
            return None
        if prob >= self.speech_threshold:
            self._silence_since = None
        elif prob < self.silence_threshold:
            if self._silence_since is None:
                self._silence_since = at
            if end - self._silence_since >= self.min_silence_s:
                self.in_speech, self._speech_since = False, None
                return VadEvent("speech_end", round(self._silence_since, 3))
        return None
