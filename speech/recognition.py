"""Speech recognition with Whisper (faster-whisper / CTranslate2) from weights that ship in packages.

Whisper invents text on noise and silence; `transcribe` guards against that with Silero VAD, no
fallback temperatures, and by dropping segments that look like hallucinations (high no-speech
probability with low log-probability, very repetitive text, or text far too long for the audio).
The VAD decides whether there is speech at all and trims the silence before the first and after the
last speech it finds; it never cuts anything out *between* them. (faster-whisper's ``vad_filter``
does: on synthetic speech over an 8 kHz line Silero scored whole seconds of clear words as
non-speech, and "We accept Visa, Mastercard, …, Apple Pay and Google Pay." reached Whisper as "We
accept … Google Pay" in about one reply in three, docs/speech.md.)

Whisper was trained on 30 s windows and faster-whisper pads every input to 30 s, so its encoder costs
the same for a 2 s "yes" as for 30 s of speech. `chunk_s` (SPEECH_CHUNK_S) pads a shorter utterance
only to that length (a longer one to its own length, up to 30 s, so nothing is ever cut): the encoder
then runs 3-5 times faster (docs/speech.md has the measurements and the word error rates).
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from speech.audio import SAMPLE_RATE, AudioError, pcm16_to_float
from speech.models import model_dir
from speech.settings import (
    ASR_MODELS,
    COMPUTE_TYPES,
    DEFAULT_CHUNK_S,
    DEFAULT_COMPUTE_TYPE,
    MIN_CHUNK_S,
    SpeechSettings,
)

if TYPE_CHECKING:  # faster-whisper loads CTranslate2: imported where a model is built, not here
    from faster_whisper.transcribe import Segment, TranscriptionInfo

log = logging.getLogger(__name__)

NO_SPEECH_PROB = 0.6  # with avg_logprob below LOW_LOGPROB: Whisper's own "this is not speech" rule
LOW_LOGPROB = -1.0
MAX_COMPRESSION_RATIO = 2.4  # gzip ratio of the text: loops like "the the the the" compress well
MAX_CHARS_PER_SECOND = 30  # people say ~15 characters per second; far more is invented text
MIN_AUDIO_S = 0.1
WINDOW_S = 30  # Whisper's window; the encoder's positional embedding has room for exactly this
FRAMES_PER_S = 100  # mel frames (10 ms hop)
MIN_PADDING_S = 1  # silence after the last word: Whisper needs some to end its text
PROMPT_TRUST = 0.45  # below this confidence a prompted transcript is compared with one without the prompt
VAD_PARAMETERS = {"min_silence_duration_ms": 500, "speech_pad_ms": 300}
SILENCE_RMS = 10 ** (-50 / 20)  # below -50 dBFS is silence (mu-law's quietest step is about -72 dBFS)
FRAME = SAMPLE_RATE // 100  # 10 ms frames for the silence check


def speech_span(audio: np.ndarray) -> tuple[int, int] | None:
    """Samples from the first to the last speech in float 16 kHz audio; None: Silero VAD finds no speech.

    Silero decides whether there is speech; the span then reaches out from its first and last speech to
    the nearest real silence, because Silero's onset can come late: on one Piper take of the payment
    answer over the 8 kHz line it scored "We accept Visa," (0.06-0.7 s) as non-speech and Whisper got
    the list without it (docs/speech.md). Only silence is trimmed, never sound next to the speech."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    stamps = get_speech_timestamps(audio, VadOptions(**VAD_PARAMETERS))
    if not stamps:
        return None
    start, end = int(stamps[0]["start"]), int(stamps[-1]["end"])
    frames = audio.size // FRAME
    quiet = np.sqrt(np.mean(np.square(audio[: frames * FRAME].reshape(frames, FRAME)), axis=1)) < SILENCE_RMS
    gap = VAD_PARAMETERS["min_silence_duration_ms"] * SAMPLE_RATE // 1000 // FRAME  # a pause this long ends speech
    pad = VAD_PARAMETERS["speech_pad_ms"] * SAMPLE_RATE // 1000
    first = _last_sound_before_silence(quiet, start // FRAME - 1, -1, gap)
    if first is not None:
        start = min(start, max(0, first * FRAME - pad))
    last = _last_sound_before_silence(quiet, end // FRAME, 1, gap)
    if last is not None:
        end = max(end, min(audio.size, (last + 1) * FRAME + pad))
    return start, end


def _last_sound_before_silence(quiet: np.ndarray, frame: int, step: int, gap: int) -> int | None:
    """Walking from `frame` in direction `step`: the farthest frame with sound before `gap` quiet frames in
    a row (or the end of the audio); None when there is no sound before that silence."""
    farthest, run = None, 0
    while 0 <= frame < quiet.size and run < gap:
        if quiet[frame]:
            run += 1
        else:
            farthest, run = frame, 0
        frame += step
    return farthest


def encoder_frames(duration_s: float, chunk_s: int) -> int:
    """Mel frames the encoder sees for an utterance: `chunk_s`, or the utterance plus a little padding
    when it is longer, never more than Whisper's 30 s window. 0 means faster-whisper's own 30 s."""
    if chunk_s >= WINDOW_S:
        return 0
    needed = math.ceil(duration_s) + MIN_PADDING_S
    return min(WINDOW_S, max(chunk_s, needed)) * FRAMES_PER_S


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float  # 0..1: exp(mean avg_logprob) weighted by segment length; 0 when there is no speech
    language: str
    duration_s: float
    no_speech: bool

    @classmethod
    def empty(cls, language: str, duration_s: float) -> Transcript:
        return cls(text="", confidence=0.0, language=language, duration_s=duration_s, no_speech=True)


@runtime_checkable
class Recognizer(Protocol):
    name: str

    def transcribe(self, pcm16k: np.ndarray, *, prompt: str | None = None) -> Transcript: ...


def _check_pcm(pcm16k: np.ndarray) -> np.ndarray:
    pcm = np.asarray(pcm16k)
    if pcm.ndim != 1:
        raise AudioError(f"expected mono 16 kHz samples (1-D), got shape {pcm.shape}")
    if pcm.dtype != np.int16:
        raise AudioError(f"expected int16 samples at 16 kHz, got {pcm.dtype}")
    return pcm


_ENCODER = threading.local()  # frames the encoder may see in this thread's current transcribe()


class WhisperRecognizer:
    """A packaged Whisper model with decoding options; the weights are shared per (model, threads, compute type)."""

    def __init__(
        self,
        name: str,
        *,
        threads: int = 1,
        beam_size: int = 1,
        language: str = "en",
        prompt: str | None = None,
        chunk_s: int = DEFAULT_CHUNK_S,
        compute_type: str = DEFAULT_COMPUTE_TYPE,
    ) -> None:
        self.name = name
        self.language = language
        self.beam_size = beam_size
        self.prompt = prompt  # used when transcribe() gets prompt=None; "" there means no prompt
        self.chunk_s = chunk_s
        self.compute_type = compute_type
        self._model = _model(name, threads, compute_type)

    def transcribe(self, pcm16k: np.ndarray, *, prompt: str | None = None) -> Transcript:
        pcm = _check_pcm(pcm16k)
        duration = pcm.size / SAMPLE_RATE
        if duration < MIN_AUDIO_S or not np.any(pcm):
            return Transcript.empty(self.language, duration)
        audio = pcm16_to_float(pcm)
        span = speech_span(audio)
        if span is None:
            return Transcript.empty(self.language, duration)
        audio = audio[span[0] : span[1]]
        prompt_text = (self.prompt if prompt is None else prompt) or None
        transcript = self._decode(audio, prompt_text, duration)
        if prompt_text and transcript.confidence < PROMPT_TRUST:
            # A prompt full of product names can pull unsure audio into them: tiny.en heard a slow
            # espeak-ng "What payment methods do you accept?" over the phone as "What, Heyman, Mathard,
            # Blue, Black, Fleece" (0.2) with the catalogue prompt, and right (0.6) without it.
            plain = self._decode(audio, None, duration)
            if plain.confidence > transcript.confidence:
                return plain
        return transcript

    def _decode(self, audio: np.ndarray, prompt: str | None, duration: float) -> Transcript:
        # Thread-safe: faster-whisper accepts calls from several threads (CTranslate2 queues them); the
        # encoder length is per thread, and the segments generator runs in this thread (list() below).
        _ENCODER.frames = encoder_frames(audio.size / SAMPLE_RATE, self.chunk_s)
        try:
            segments, info = self._transcribe(audio, prompt)
        finally:
            _ENCODER.frames = 0
        kept = [s for s in segments if self._plausible(s)]
        text = " ".join(s.text.strip() for s in kept if s.text.strip()).strip()
        if not text or len(text) > MAX_CHARS_PER_SECOND * max(duration, 1.0):
            if text:
                log.info("dropped implausible transcript (%d chars for %.1f s of audio)", len(text), duration)
            return Transcript.empty(info.language or self.language, duration)
        weights = [max(s.end - s.start, 0.01) for s in kept]
        mean_logprob = sum(w * s.avg_logprob for w, s in zip(weights, kept, strict=True)) / sum(weights)
        return Transcript(
            text=text,
            confidence=round(min(1.0, max(0.0, math.exp(mean_logprob))), 4),
            language=info.language or self.language,
            duration_s=duration,
            no_speech=False,
        )

    def _transcribe(self, audio: np.ndarray, prompt: str | None) -> tuple[list[Segment], TranscriptionInfo]:
        segments, info = self._model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            temperature=0.0,
            initial_prompt=prompt,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,  # speech_span() above: the VAD must not cut words out of the middle
            no_speech_threshold=NO_SPEECH_PROB,
            log_prob_threshold=LOW_LOGPROB,
            compression_ratio_threshold=MAX_COMPRESSION_RATIO,
        )
        return list(segments), info

    @staticmethod
    def _plausible(segment: Segment) -> bool:
        if segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_LOGPROB:
            return False
        return segment.compression_ratio <= MAX_COMPRESSION_RATIO


@functools.lru_cache(maxsize=8)
def _model(model: str, threads: int, compute_type: str):
    from faster_whisper import WhisperModel

    class ShortWindowWhisper(WhisperModel):
        """faster-whisper pads each window's mel frames to 30 s before `encode`; this keeps only the
        frames the calling thread allowed (`_ENCODER.frames`), all of them padding past the audio."""

        def encode(self, features):
            frames = getattr(_ENCODER, "frames", 0)
            if frames and features.shape[-1] > frames:
                features = np.ascontiguousarray(features[..., :frames])
            return super().encode(features)

    return ShortWindowWhisper(
        str(model_dir(model)), device="cpu", compute_type=compute_type, cpu_threads=threads, num_workers=1
    )


@functools.lru_cache(maxsize=16)
def _load(
    model: str, threads: int, beam_size: int, language: str, prompt: str | None, chunk_s: int, compute_type: str
) -> WhisperRecognizer:
    return WhisperRecognizer(
        model,
        threads=threads,
        beam_size=beam_size,
        language=language,
        prompt=prompt,
        chunk_s=chunk_s,
        compute_type=compute_type,
    )


def load_recognizer(
    model: str = "tiny.en",
    *,
    threads: int = 1,
    beam_size: int = 1,
    language: str = "en",
    prompt: str | None = None,
    chunk_s: int = DEFAULT_CHUNK_S,
    compute_type: str = DEFAULT_COMPUTE_TYPE,
) -> Recognizer:
    """A Whisper recognizer from packaged weights ("tiny.en" or "base"), loaded once per process.

    `prompt` is the default recognition prompt (see speech/prompts.py); `chunk_s` the length audio is
    padded to (see the module docstring; 30 = Whisper's own); `compute_type` CTranslate2's weight type
    (SPEECH_COMPUTE_TYPE: int8 is faster and lost words on this CPU, docs/speech.md). The weights are
    shared by all recognizers of the same model, thread count and compute type."""
    if model not in ASR_MODELS:
        raise ValueError(f"unknown speech model {model!r}: use one of {', '.join(ASR_MODELS)}")
    if model.endswith(".en") and language != "en":
        raise ValueError(f"{model} only knows English; use 'base' for language {language!r}")
    if not MIN_CHUNK_S <= chunk_s <= WINDOW_S:
        raise ValueError(f"chunk_s must be between {MIN_CHUNK_S} and {WINDOW_S} seconds, got {chunk_s}")
    if compute_type not in COMPUTE_TYPES:
        raise ValueError(f"unknown compute type {compute_type!r}: use one of {', '.join(COMPUTE_TYPES)}")
    return _load(model, threads, beam_size, language, prompt, chunk_s, compute_type)


def load_configured_recognizer(settings: SpeechSettings | None = None) -> Recognizer:
    """The recognizer SPEECH_ASR_MODEL / _THREADS / _BEAM_SIZE / _PROMPT / _CHUNK_S / _COMPUTE_TYPE ask for."""
    from speech.prompts import prompt_from_setting

    settings = settings or SpeechSettings.from_env()
    return load_recognizer(
        settings.asr_model,
        threads=settings.threads,
        beam_size=settings.beam_size,
        prompt=prompt_from_setting(settings.prompt),
        chunk_s=settings.chunk_s,
        compute_type=settings.compute_type,
    )
