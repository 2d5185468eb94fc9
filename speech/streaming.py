"""Live transcription of a call: partial transcripts while the caller speaks, a final one when they stop.

Audio goes through the streaming VAD; while speech lasts, every `partial_every_ms` of new audio the
current utterance (its last `partial_window_s`) is decoded again, with a cheaper recognizer if one is
given. On end of speech the whole utterance is decoded once more for the final transcript. Decoding is
synchronous CPU work: an asyncio gateway should call `feed` in an executor (one transcriber per call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from speech.audio import SAMPLE_RATE
from speech.recognition import Recognizer, Transcript
from speech.vad import EndOfSpeechDetector


@dataclass(frozen=True)
class StreamEvent:
    kind: Literal["speech_start", "partial", "final"]
    at_s: float  # speech_start: when speech began; partial: audio position; final: when speech ended
    transcript: Transcript | None = None  # None for speech_start (use it for barge-in)


class StreamingTranscriber:
    """Feed 16 kHz int16 chunks of any size; get speech_start, partial and final events back."""

    def __init__(
        self,
        recognizer: Recognizer,
        *,
        partial_recognizer: Recognizer | None = None,
        partial_every_ms: int = 1000,
        partial_window_s: float = 8.0,
        min_silence_ms: int = 600,
        speech_threshold: float = 0.5,
        min_speech_ms: int = 200,
        pre_roll_ms: int = 300,
        max_utterance_s: float = 30.0,
        prompt: str | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.partial_recognizer = partial_recognizer or recognizer
        self.partial_every_s = partial_every_ms / 1000
        self.partial_window_s = partial_window_s
        self.pre_roll_s = pre_roll_ms / 1000
        self.max_utterance_s = max_utterance_s
        self.prompt = prompt
        self._keep_idle_s = self.pre_roll_s + min_speech_ms / 1000 + 0.5
        self.vad = EndOfSpeechDetector(
            min_silence_ms=min_silence_ms, speech_threshold=speech_threshold, min_speech_ms=min_speech_ms
        )
        self.reset()

    def reset(self) -> None:
        self.vad.reset()
        self._chunks: list[np.ndarray] = []
        self._buffer_start = 0  # sample index of the first buffered sample
        self._buffered = 0
        self._utterance_start: int | None = None
        self._last_partial = 0

    @property
    def in_speech(self) -> bool:
        return self._utterance_start is not None

    @property
    def position_s(self) -> float:
        return (self._buffer_start + self._buffered) / SAMPLE_RATE

    def _audio(self, start: int, end: int) -> np.ndarray:
        buffer = np.concatenate(self._chunks) if len(self._chunks) != 1 else self._chunks[0]
        self._chunks = [buffer] if buffer.size else []
        return buffer[max(start - self._buffer_start, 0) : max(end - self._buffer_start, 0)]

    def _trim(self, keep_from: int) -> None:
        drop = keep_from - self._buffer_start
        if drop <= 0:
            return
        buffer = self._audio(self._buffer_start, self._buffer_start + self._buffered)
        self._chunks = [buffer[drop:]]
        self._buffer_start += drop
        self._buffered -= drop

    def _final(self, end: int, at_s: float) -> StreamEvent:
        start = self._utterance_start or 0
        transcript = self.recognizer.transcribe(self._audio(start, end), prompt=self.prompt)
        self._utterance_start = None
        return StreamEvent("final", round(at_s, 3), transcript)

    def feed(self, pcm16k: np.ndarray) -> list[StreamEvent]:
        chunk = np.asarray(pcm16k)
        vad_events = self.vad.feed(chunk)  # validates dtype/shape before anything is buffered
        self._chunks.append(chunk.copy())
        self._buffered += chunk.size
        now = self._buffer_start + self._buffered
        events: list[StreamEvent] = []
        for vad_event in vad_events:
            at = int(vad_event.at_s * SAMPLE_RATE)
            if vad_event.kind == "speech_start":
                self._utterance_start = max(self._buffer_start, at - int(self.pre_roll_s * SAMPLE_RATE))
                self._last_partial = at
                events.append(StreamEvent("speech_start", vad_event.at_s))
            elif self._utterance_start is not None:
                end = min(now, at + int(self.pre_roll_s * SAMPLE_RATE))  # keep the word's fading tail
                events.append(self._final(end, vad_event.at_s))
        if self._utterance_start is not None:
            if (now - self._utterance_start) / SAMPLE_RATE >= self.max_utterance_s:
                events.append(self._final(now, now / SAMPLE_RATE))
                self._utterance_start = self._last_partial = now  # the caller keeps talking: next utterance
            elif self.vad.hearing_speech and (now - self._last_partial) / SAMPLE_RATE >= self.partial_every_s:
                window_start = max(self._utterance_start, now - int(self.partial_window_s * SAMPLE_RATE))
                partial = self.partial_recognizer.transcribe(self._audio(window_start, now), prompt=self.prompt)
                self._last_partial = now
                events.append(StreamEvent("partial", round(now / SAMPLE_RATE, 3), partial))
        keep_from = self._utterance_start if self._utterance_start is not None else now
        self._trim(keep_from - int(self._keep_idle_s * SAMPLE_RATE))
        return events

    def finish(self) -> StreamEvent | None:
        """End of the call or of the turn: the final transcript of speech still in progress, if any."""
        if self._utterance_start is None:
            return None
        now = self._buffer_start + self._buffered
        event = self._final(now, now / SAMPLE_RATE)
        self.vad.reset()
        return event
