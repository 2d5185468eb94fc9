"""Caller audio → turns: the streaming VAD finds where speech starts and ends, recognition starts early.

Every 16 kHz frame goes through the VAD (cheap, on the event loop). After ``speculate_ms`` of silence
recognition starts early in the thread pool; when the VAD confirms the end of the turn
(``end_silence_ms``) that transcript is usually ready and becomes the turn, unless something audible
came after it. A monologue is cut into turns at ``max_utterance_s``. The call hears of a speech start
(barge-in) and of each finished turn through two callbacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

import numpy as np

from channels.voice.background import retrieve
from channels.voice.settings import VoiceSettings
from speech.audio import SAMPLE_RATE
from speech.recognition import Transcript
from speech.vad import EndOfSpeechDetector

PRE_ROLL_S = 0.3  # audio kept before the VAD's speech start (the first consonant)
TAIL_S = 0.25  # audio kept after the VAD's speech end (the word's fading tail)
MIN_HANGUP_UTTERANCE_S = 0.4
AUDIBLE_RMS = 300.0  # about -40 dBFS over 20 ms: a consonant, not line noise
AUDIBLE_WINDOW = SAMPLE_RATE // 50
TAIL_PAD_S = 0.1  # kept after the last audible window when sound went on past TAIL_S
IDLE_AUDIO_S = 2.0  # audio kept between turns (the VAD reports a start a little after it happened)


class SpeechToText(Protocol):
    """The recognizer service (services/speech.py): 16 kHz int16 audio → a transcript, off the event loop."""

    async def transcribe(self, pcm16k: np.ndarray) -> Transcript: ...


class AudioBuffer:
    """The recent 16 kHz audio, addressable by absolute sample index since the call started."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.start = 0
        self.end = 0

    def append(self, pcm: np.ndarray) -> None:
        if pcm.size:
            self.chunks.append(pcm)
            self.end += pcm.size

    def slice(self, start: int, end: int) -> np.ndarray:
        joined = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)
        self.chunks = [joined] if joined.size else []
        return joined[max(start - self.start, 0) : max(end - self.start, 0)].copy()

    def keep_from(self, sample: int) -> None:
        drop = sample - self.start
        if drop <= 0 or not self.chunks:
            return
        joined = np.concatenate(self.chunks)
        self.chunks = [joined[drop:]] if joined.size > drop else []
        self.start = min(sample, self.end)


class TurnDetector:
    def __init__(
        self,
        settings: VoiceSettings,
        stt: SpeechToText,
        on_speech_start: Callable[[], None],
        on_turn: Callable[[asyncio.Future[Transcript]], None],
    ) -> None:
        self.settings = settings
        self.stt = stt
        self._on_speech_start = on_speech_start
        self._on_turn = on_turn
        self.vad = EndOfSpeechDetector(
            min_silence_ms=settings.end_silence_ms,
            speech_threshold=settings.vad_threshold,
            min_speech_ms=settings.min_speech_ms,
        )
        self.audio = AudioBuffer()
        self.recognitions: set[asyncio.Future[Transcript]] = set()
        self.utterance_start: int | None = None
        self.quiet_samples = 0
        self.speculation: tuple[int, asyncio.Future[Transcript]] | None = None

    @property
    def in_speech(self) -> bool:
        """The caller is speaking (an utterance began and has not ended)."""
        return self.utterance_start is not None

    def feed(self, pcm: np.ndarray) -> None:
        """One decoded frame of the caller's audio (16 kHz int16)."""
        self.audio.append(pcm)
        for event in self.vad.feed(pcm):
            at = int(event.at_s * SAMPLE_RATE)
            if event.kind == "speech_start":
                self.speech_started(at)
            else:
                self.speech_ended(at)
        self.maybe_speculate(pcm.size)
        if self.utterance_start is None:
            if self.audio.end - self.audio.start > IDLE_AUDIO_S * 2 * SAMPLE_RATE:
                self.audio.keep_from(self.audio.end - int(IDLE_AUDIO_S * SAMPLE_RATE))
        elif (self.audio.end - self.utterance_start) / SAMPLE_RATE >= self.settings.max_utterance_s:
            self.speech_ended(self.audio.end)  # a monologue is answered in parts
            self.utterance_start = self.audio.end

    def speech_started(self, at: int) -> None:
        self.utterance_start = max(self.audio.start, at - int(PRE_ROLL_S * SAMPLE_RATE))
        self.quiet_samples = 0
        self.speculation = None
        self._on_speech_start()

    def speech_ended(self, silence_from: int) -> None:
        if self.utterance_start is None:
            return
        end = self._turn_end(silence_from)
        speculation = self.speculation
        if speculation is not None and speculation[0] >= silence_from and self._inaudible(speculation[0], end):
            transcript = speculation[1]
        else:
            if speculation is not None:
                speculation[1].cancel()  # stale: the caller went on after that pause
            transcript = self.transcribe(self.audio.slice(self.utterance_start, end))
        self.utterance_start = None
        self.speculation = None
        self._on_turn(transcript)

    def unfinished_utterance(self) -> np.ndarray | None:
        """The audio of an utterance in progress (the caller hung up mid-sentence), if long enough for words."""
        if self.utterance_start is None:
            return None
        audio = self.audio.slice(self.utterance_start, self.audio.end)
        return audio if audio.size >= MIN_HANGUP_UTTERANCE_S * SAMPLE_RATE else None

    def _turn_end(self, silence_from: int) -> int:
        """Where the turn's audio ends: ``TAIL_S`` after the VAD's silence began, or later if sound
        went on. Silero scores unvoiced sounds low: the "-cept" of a slow espeak-ng "accept" was
        still sounding 0.25 s after the VAD's silence began; cut there, tiny.en heard "What payment
        methods do you accept?" as "What, Haven, Mappins, Blue, Black, Cap?" (confidence 0.2)."""
        end = min(self.audio.end, silence_from + int(TAIL_S * SAMPLE_RATE))
        loud = self._loud_windows(end, self.audio.end)
        if loud.size:
            end = min(self.audio.end, end + (int(loud[-1]) + 1) * AUDIBLE_WINDOW + int(TAIL_PAD_S * SAMPLE_RATE))
        return end

    def _loud_windows(self, start: int, end: int) -> np.ndarray:
        """Indices of the audible 20 ms windows in the call's audio between two samples."""
        audio = self.audio.slice(start, end).astype(np.float32)
        windows = audio[: audio.size // AUDIBLE_WINDOW * AUDIBLE_WINDOW].reshape(-1, AUDIBLE_WINDOW)
        return np.flatnonzero(np.sqrt((windows**2).mean(axis=1)) >= AUDIBLE_RMS)

    def _inaudible(self, start: int, end: int) -> bool:
        """Nothing to hear between the early guess's end and the turn's end: the guess heard it all."""
        return self._loud_windows(start, end).size == 0

    def maybe_speculate(self, samples: int) -> None:
        """Start recognising after a short pause: if the pause becomes the end of the turn, time is won."""
        if self.utterance_start is None or self.settings.speculate_ms <= 0:
            return
        if self.vad.last_probability >= self.vad.silence_threshold:
            self.quiet_samples = 0
            if self.speculation is not None:  # anything but silence: the caller may go on, that guess is stale
                self.speculation[1].cancel()
                self.speculation = None
            return
        self.quiet_samples += samples
        if (
            self.speculation is None
            and not self.recognitions  # at most one recognition per call in the pool: a guess is optional work
            and self.quiet_samples >= self.settings.speculate_ms * SAMPLE_RATE // 1000
        ):
            end = self.audio.end
            guess = self.transcribe(self.audio.slice(self.utterance_start, end))
            guess.add_done_callback(retrieve)
            self.speculation = (end, guess)

    def transcribe(self, audio: np.ndarray) -> asyncio.Future[Transcript]:
        """Recognition in the shared pool, tracked so a call never has more than its bound queued there
        (cancelling the future takes a job that has not started out of the pool's queue)."""
        job = asyncio.ensure_future(self.stt.transcribe(audio))
        self.recognitions.add(job)
        job.add_done_callback(self.recognitions.discard)
        return job

    def cancel_recognitions(self) -> None:
        """The call ended: queued recognitions nobody will answer leave the shared pool."""
        for job in list(self.recognitions):
            job.cancel()
