"""The frames a call consumes, whatever telephony provider sent them (Pipecat's word for a typed event).

A serializer (serializers/) turns one provider message into one of these; the transport
(transports/websocket.py) hands them to the call. Nothing here knows a provider's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from channels.voice.audio_format import AudioFormat


@dataclass(frozen=True)
class ConnectedFrame:
    """The provider opened the stream (sent before ``start`` by Twilio; optional)."""

    protocol: str = ""


@dataclass(frozen=True)
class StartFrame:
    """A call's stream begins: its ids, the provider's custom parameters and the audio format."""

    stream_id: str
    call_id: str
    custom_parameters: dict[str, str] = field(default_factory=dict)
    audio_format: AudioFormat = field(default_factory=AudioFormat)


@dataclass(frozen=True)
class AudioFrame:
    """About 20 ms of the caller's audio in the stream's format; ``sequence`` numbers frames (gaps = loss)."""

    payload: bytes
    sequence: int | None = None


@dataclass(frozen=True)
class MarkFrame:
    """The provider played our audio up to the mark of this name."""

    name: str


@dataclass(frozen=True)
class DtmfFrame:
    """One key pressed on the caller's keypad (0-9, *, #, A-D)."""

    digit: str


@dataclass(frozen=True)
class StopFrame:
    """The provider ended the stream (the caller hung up or the call moved on)."""


InputFrame = ConnectedFrame | StartFrame | AudioFrame | MarkFrame | DtmfFrame | StopFrame

__all__ = [
    "AudioFrame",
    "ConnectedFrame",
    "DtmfFrame",
    "InputFrame",
    "MarkFrame",
    "StartFrame",
    "StopFrame",
]
