"""Twilio Media Streams messages, parsed and built (https://www.twilio.com/docs/voice/media-streams).

Inbound (provider → gateway): ``connected``, ``start`` (stream and call ids, ``customParameters``,
``mediaFormat``), ``media`` (base64 audio), ``mark`` (our mark, echoed when its audio has played),
``dtmf`` and ``stop``. Outbound: ``media``, ``mark`` and ``clear`` (drop buffered audio: barge-in).

Twilio always streams 8 kHz mu-law. The browser page speaks the same protocol and may declare
``audio/l16`` (16-bit little-endian PCM) at 8 or 16 kHz instead; replies use the caller's format.
Anything else is a ProtocolError with a sentence saying what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from speech.audio import (
    SAMPLE_RATE,
    AudioError,
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
MAX_MESSAGE_BYTES = 64 * 1024
DTMF_DIGITS = frozenset("0123456789*#ABCD")


class ProtocolError(ValueError):
    """A message the gateway cannot use; the text says why (sent as the WebSocket close reason)."""


@dataclass(frozen=True)
class AudioFormat:
    encoding: str = MULAW
    sample_rate: int = 8000

    @classmethod
    def from_media_format(cls, media_format: Any) -> AudioFormat:
        if media_format is None:
            return cls()
        if not isinstance(media_format, dict):
            raise ProtocolError("start.mediaFormat must be an object")
        encoding = str(media_format.get("encoding", MULAW)).lower()
        rate = media_format.get("sampleRate", 8000)
        channels = media_format.get("channels", 1)
        if encoding not in SUPPORTED_FORMATS:
            raise ProtocolError(f"unsupported encoding {encoding!r}: use {MULAW} (8000 Hz) or {L16} (8000/16000 Hz)")
        if rate not in SUPPORTED_FORMATS[encoding]:
            allowed = " or ".join(str(r) for r in SUPPORTED_FORMATS[encoding])
            raise ProtocolError(f"unsupported sample rate {rate!r} for {encoding}: use {allowed} Hz")
        if channels != 1:
            raise ProtocolError(f"only mono audio is supported, got {channels!r} channels")
        return cls(encoding, int(rate))

    @property
    def bytes_per_frame(self) -> int:
        """One 20 ms frame: 160 bytes of 8 kHz mu-law, 640 bytes of 16 kHz l16."""
        width = 1 if self.encoding == MULAW else 2
        return self.sample_rate * FRAME_MS // 1000 * width

    def as_media_format(self) -> dict[str, Any]:
        return {"encoding": self.encoding, "sampleRate": self.sample_rate, "channels": 1}


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


# --------------------------------------------------------------------------- inbound messages


@dataclass(frozen=True)
class Connected:
    protocol: str = ""


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    custom_parameters: dict[str, str] = field(default_factory=dict)
    audio_format: AudioFormat = field(default_factory=AudioFormat)


@dataclass(frozen=True)
class Media:
    payload: bytes
    sequence: int | None = None


@dataclass(frozen=True)
class Mark:
    name: str


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Stop:
    pass


Inbound = Connected | Start | Media | Mark | Dtmf | Stop


def _text(value: Any, what: str, max_chars: int = 128) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_chars:
        raise ProtocolError(f"{what} must be a string of 1 to {max_chars} characters")
    return value.strip()


def _sequence(raw: Any) -> int | None:
    """Twilio numbers media frames with ``media.chunk`` ("1", "2", ...): a gap is lost audio."""
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def parse(raw: str | bytes) -> Inbound:
    """One WebSocket text message → a typed event, or ProtocolError."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError("messages must be JSON text") from error
    if not isinstance(message, dict):
        raise ProtocolError("messages must be JSON objects")
    event = message.get("event")
    if event == "media":
        media = message.get("media")
        if not isinstance(media, dict) or not isinstance(media.get("payload"), str):
            raise ProtocolError("media.payload must be a base64 string")
        try:
            payload = base64.b64decode(media["payload"], validate=True)
        except (binascii.Error, ValueError) as error:
            raise ProtocolError("media.payload is not valid base64") from error
        return Media(payload, _sequence(media.get("chunk")))
    if event == "start":
        start = message.get("start")
        if not isinstance(start, dict):
            raise ProtocolError("start message without a 'start' object")
        params = start.get("customParameters") or {}
        if not isinstance(params, dict):
            raise ProtocolError("start.customParameters must be an object")
        return Start(
            stream_sid=_text(start.get("streamSid") or message.get("streamSid"), "start.streamSid"),
            call_sid=_text(start.get("callSid"), "start.callSid"),
            custom_parameters={str(k): str(v) for k, v in params.items()},
            audio_format=AudioFormat.from_media_format(start.get("mediaFormat")),
        )
    if event == "mark":
        mark = message.get("mark")
        return Mark(_text(mark.get("name") if isinstance(mark, dict) else None, "mark.name"))
    if event == "dtmf":
        dtmf = message.get("dtmf")
        digit = dtmf.get("digit") if isinstance(dtmf, dict) else None
        if not isinstance(digit, str) or digit.upper() not in DTMF_DIGITS:
            raise ProtocolError("dtmf.digit must be one of 0-9, *, #, A-D")
        return Dtmf(digit.upper())
    if event == "stop":
        return Stop()
    if event == "connected":
        return Connected(str(message.get("protocol", "")))
    raise ProtocolError(f"unknown event {event!r}: expected connected, start, media, mark, dtmf or stop")


# --------------------------------------------------------------------------- outbound messages


def media_message(stream_sid: str, payload: bytes) -> str:
    return json.dumps(
        {"event": "media", "streamSid": stream_sid, "media": {"payload": base64.b64encode(payload).decode()}}
    )


def mark_message(stream_sid: str, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})


__all__ = [
    "L16",
    "MULAW",
    "AudioError",
    "AudioFormat",
    "Connected",
    "Dtmf",
    "InboundDecoder",
    "Mark",
    "Media",
    "ProtocolError",
    "Start",
    "Stop",
    "clear_message",
    "encode_reply",
    "mark_message",
    "media_message",
    "parse",
]
