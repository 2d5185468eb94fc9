"""The frames a call consumes, whatever telephony provider sent them (Pipecat's word for a typed event).

A serializer (serializers/) turns one provider message into one of the input frames; the transport
(transports/websocket.py) hands them to the call. ``TurnFrame`` passes between processors: the turn
detector and the keypad make it, the turn answerer answers it. Nothing here knows a provider's JSON.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Literal

from channels.voice.audio_format import AudioFormat
from speech.recognition import Transcript


@dataclass(frozen=True)
class ConnectedFrame:
    """The provider opened the stream (sent before ``start`` by Twilio; optional)."""

    protocol: str = ""


@dataclass(frozen=True)
class StartFrame:
    """A call's stream begins: its ids, the caller, the gateway token if the provider sent it in the
    stream (each provider has its own place for these: the serializer knows it) and the audio format."""

    stream_id: str
    call_id: str
    caller: str = ""
    token: str | None = None
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


@dataclass(frozen=True)
class TurnFrame:
    """One thing the caller said: a transcript being computed (``speech``), or keypad digits (``dtmf``)."""

    source: Literal["speech", "dtmf"]
    transcript: asyncio.Future[Transcript] | None = None
    text: str = ""
    ended_at: float = field(default_factory=time.monotonic)  # when the end of the turn was detected
    timing: dict[str, float] = field(default_factory=dict)  # seconds after ended_at, for the log


InputFrame = ConnectedFrame | StartFrame | AudioFrame | MarkFrame | DtmfFrame | StopFrame

__all__ = [
    "AudioFrame",
    "ConnectedFrame",
    "DtmfFrame",
    "InputFrame",
    "MarkFrame",
    "StartFrame",
    "StopFrame",
    "TurnFrame",
]
