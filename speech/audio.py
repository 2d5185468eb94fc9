"""Audio conversions between telephony, browser uploads and the 16 kHz int16 mono the recognizer wants.

Decoding goes through PyAV (FFmpeg), resampling through soxr and G.711 mu-law through the standard
library's `audioop` (present up to Python 3.12), so no DSP is hand-rolled here.
"""

from __future__ import annotations

import io
import logging
import warnings
import wave

import av
import numpy as np
import soxr

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MIN_RATE, MAX_RATE = 4000, 192000
MAX_DECODED_SECONDS = 600
# soxr's streaming qualities and the mean delay each adds to a stream of 20 ms frames (8 → 16 kHz):
# HQ/MQ/VHQ ~64 ms (soxr works in blocks), LQ ~32 ms, QQ (cubic interpolation, no filter) ~0 ms.
STREAM_QUALITIES = ("QQ", "LQ", "MQ", "HQ", "VHQ")
STREAM_QUALITY = "QQ"  # no added delay, and no worse word error rate than HQ (docs/speech.md)


class AudioError(ValueError):
    """Audio that cannot be used: empty, undecodable, or with an impossible sample rate."""


def _check_rate(rate: int, what: str = "sample rate") -> int:
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(f"{what} must be an integer between {MIN_RATE} and {MAX_RATE} Hz, got {rate!r}")
    return int(rate)


def _as_int16(pcm: np.ndarray) -> np.ndarray:
    pcm = np.asarray(pcm)
    if pcm.ndim != 1:
        raise AudioError(f"expected mono audio (1-D samples), got shape {pcm.shape}")
    if pcm.dtype == np.int16:
        return pcm
    if np.issubdtype(pcm.dtype, np.floating):
        return float_to_pcm16(pcm)
    raise AudioError(f"expected int16 or float samples, got {pcm.dtype}")


def float_to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] (clipped) → int16."""
    return (np.clip(np.nan_to_num(samples), -1.0, 1.0) * 32767.0).astype(np.int16)


def pcm16_to_float(pcm: np.ndarray) -> np.ndarray:
    """int16 → float32 in [-1, 1), the input format of Whisper and Silero."""
    return np.asarray(pcm, dtype=np.int16).astype(np.float32) / 32768.0


def pcm16_from_bytes(data: bytes) -> np.ndarray:
    """Raw little-endian 16-bit PCM bytes → int16 array; an odd byte count means a truncated frame."""
    if len(data) % 2:
        raise AudioError(f"raw 16-bit PCM needs an even number of bytes, got {len(data)} (truncated frame?)")
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def resample(pcm: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample int16 mono with soxr (one-shot; use `StreamResampler` for a stream of small frames)."""
    pcm = _as_int16(pcm)
    from_rate, to_rate = _check_rate(from_rate, "source rate"), _check_rate(to_rate, "target rate")
    if from_rate == to_rate or pcm.size == 0:
        return pcm.copy()
    return soxr.resample(pcm, from_rate, to_rate, quality="HQ").astype(np.int16, copy=False)


class StreamResampler:
    """soxr's streaming resampler: resampling each 20 ms frame on its own would click at every edge.

    `quality` trades filter sharpness for delay (STREAM_QUALITIES); on a call the delay postpones the
    detection of the end of the caller's turn."""

    def __init__(self, from_rate: int, to_rate: int, quality: str = STREAM_QUALITY) -> None:
        self.from_rate, self.to_rate = _check_rate(from_rate, "source rate"), _check_rate(to_rate, "target rate")
        if quality not in STREAM_QUALITIES:
            raise ValueError(f"unknown resampler quality {quality!r}: use one of {', '.join(STREAM_QUALITIES)}")
        self.quality = quality
        self._stream = (
            None
            if self.from_rate == self.to_rate
            else soxr.ResampleStream(self.from_rate, self.to_rate, 1, "int16", quality=quality)
        )

    def process(self, pcm: np.ndarray, *, last: bool = False) -> np.ndarray:
        pcm = _as_int16(pcm)
        if self._stream is None:
            return pcm.copy()
        return self._stream.resample_chunk(pcm, last=last).astype(np.int16, copy=False)


def mulaw_to_pcm16(mulaw: bytes, rate: int = 8000, to_rate: int = SAMPLE_RATE) -> np.ndarray:
    """G.711 mu-law bytes (Twilio media streams: 8 kHz) → int16 mono at `to_rate`."""
    rate = _check_rate(rate)
    pcm = np.frombuffer(audioop.ulaw2lin(bytes(mulaw), 2), dtype=np.int16)
    return resample(pcm, rate, to_rate)


def pcm16_to_mulaw(pcm: np.ndarray, rate: int, to_rate: int = 8000) -> bytes:
    """int16 mono at `rate` → G.711 mu-law bytes at `to_rate` (8 kHz for the telephone)."""
    return audioop.lin2ulaw(resample(pcm, rate, to_rate).tobytes(), 2)


class MulawStreamDecoder:
    """Per-call decoder for a stream of mu-law frames (e.g. Twilio's 20 ms media messages) → 16 kHz int16."""

    def __init__(self, rate: int = 8000, to_rate: int = SAMPLE_RATE, quality: str = STREAM_QUALITY) -> None:
        self._resampler = StreamResampler(rate, to_rate, quality)

    def decode(self, mulaw: bytes) -> np.ndarray:
        return self._resampler.process(np.frombuffer(audioop.ulaw2lin(bytes(mulaw), 2), dtype=np.int16))

    def flush(self) -> np.ndarray:
        return self._resampler.process(np.zeros(0, dtype=np.int16), last=True)


def decode_audio(data: bytes) -> np.ndarray:
    """Any container/codec FFmpeg reads (WAV, Opus/WebM, Ogg, MP3, ...) → int16 mono 16 kHz.

    Raises AudioError with a sentence saying what is wrong for empty, undecodable or silent-less input.
    """
    if not data:
        raise AudioError("no audio: the upload is empty")
    try:
        container = av.open(io.BytesIO(bytes(data)), mode="r")
    except (av.FFmpegError, ValueError, OSError) as error:
        raise AudioError(f"could not read the audio (not a known audio format or corrupted): {error}") from error
    with container:
        streams = container.streams.audio
        if not streams:
            raise AudioError("the file has no audio stream")
        stream = streams[0]
        rate = stream.codec_context.sample_rate or stream.rate
        if not rate:
            raise AudioError("the audio stream declares no sample rate")
        to_mono = av.AudioResampler(format="s16", layout="mono", rate=rate)
        parts: list[np.ndarray] = []
        total = 0
        try:
            for frame in container.decode(stream):
                for mono in to_mono.resample(frame):
                    part = mono.to_ndarray().reshape(-1).astype(np.int16, copy=False)
                    parts.append(part)
                    total += part.size
                if total > MAX_DECODED_SECONDS * rate:
                    raise AudioError(f"audio longer than {MAX_DECODED_SECONDS} s")
            for mono in to_mono.resample(None):
                parts.append(mono.to_ndarray().reshape(-1).astype(np.int16, copy=False))
        except av.FFmpegError as error:
            if not parts:
                raise AudioError(f"could not decode the audio: {error}") from error
            log.warning("audio decoding stopped early (%s); keeping %d decoded samples", error, total)
    pcm = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
    if pcm.size == 0:
        raise AudioError("the audio stream holds no samples")
    return resample(pcm, rate, SAMPLE_RATE)


def to_wav(pcm: np.ndarray, rate: int) -> bytes:
    """int16 mono → a WAV file in memory (for HTTP answers and debugging)."""
    pcm, rate = _as_int16(pcm), _check_rate(rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.astype("<i2").tobytes())
    return buffer.getvalue()
