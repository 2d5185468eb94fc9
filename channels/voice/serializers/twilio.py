"""Twilio Media Streams messages ⇄ frames (https://www.twilio.com/docs/voice/media-streams).

Inbound (provider → gateway): ``connected``, ``start`` (stream and call ids, ``mediaFormat``, and
``customParameters``: ``caller`` or ``from``, and ``token``, set by ``<Parameter>`` in the TwiML),
``media`` (base64 audio), ``mark`` (our mark, echoed when its audio has played), ``dtmf`` and ``stop``.
Outbound: ``media``, ``mark`` and ``clear`` (drop buffered audio: barge-in).
The browser page (static/voice.js) speaks the same protocol, with ``audio/l16`` if it likes.
Anything else is a ProtocolError with a sentence saying what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace
from typing import Any

from channels.voice.audio_format import MULAW, AudioFormat, UnsupportedAudioFormat
from channels.voice.frames import (
    AudioFrame,
    ConnectedFrame,
    DtmfFrame,
    InputFrame,
    MarkFrame,
    StartFrame,
    StopFrame,
)
from channels.voice.serializers.base import ProtocolError

MAX_MESSAGE_BYTES = 64 * 1024
DTMF_DIGITS = frozenset("0123456789*#ABCD")


@dataclass(frozen=True)
class TwilioSerializer:
    """Parses Twilio's messages; builds outbound ones for ``stream_sid`` (set by ``for_stream``)."""

    stream_sid: str = ""
    protocol_name: str = "Twilio Media Streams"
    max_message_bytes: int = MAX_MESSAGE_BYTES

    def for_stream(self, start: StartFrame) -> TwilioSerializer:
        return replace(self, stream_sid=start.stream_id)

    def deserialize(self, raw: str | bytes) -> InputFrame:
        if len(raw) > self.max_message_bytes:
            raise ProtocolError(f"message larger than {self.max_message_bytes} bytes")
        try:
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise ProtocolError("messages must be JSON text") from error
        if not isinstance(message, dict):
            raise ProtocolError("messages must be JSON objects")
        event = message.get("event")
        if event == "media":
            return _media(message.get("media"))
        if event == "start":
            return _start(message)
        if event == "mark":
            mark = message.get("mark")
            return MarkFrame(_text(mark.get("name") if isinstance(mark, dict) else None, "mark.name"))
        if event == "dtmf":
            dtmf = message.get("dtmf")
            digit = dtmf.get("digit") if isinstance(dtmf, dict) else None
            if not isinstance(digit, str) or digit.upper() not in DTMF_DIGITS:
                raise ProtocolError("dtmf.digit must be one of 0-9, *, #, A-D")
            return DtmfFrame(digit.upper())
        if event == "stop":
            return StopFrame()
        if event == "connected":
            return ConnectedFrame(str(message.get("protocol", "")))
        raise ProtocolError(f"unknown event {event!r}: expected connected, start, media, mark, dtmf or stop")

    def audio(self, payload: bytes) -> str:
        return json.dumps(
            {"event": "media", "streamSid": self.stream_sid, "media": {"payload": base64.b64encode(payload).decode()}}
        )

    def mark(self, name: str) -> str:
        return json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    def clear(self) -> str:
        return json.dumps({"event": "clear", "streamSid": self.stream_sid})


def media_format(audio_format: AudioFormat) -> dict[str, Any]:
    """``start.mediaFormat`` for a format (what a test caller declares)."""
    return {"encoding": audio_format.encoding, "sampleRate": audio_format.sample_rate, "channels": 1}


def _media(media: Any) -> AudioFrame:
    if not isinstance(media, dict) or not isinstance(media.get("payload"), str):
        raise ProtocolError("media.payload must be a base64 string")
    try:
        payload = base64.b64decode(media["payload"], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ProtocolError("media.payload is not valid base64") from error
    return AudioFrame(payload, _sequence(media.get("chunk")))


def _start(message: dict[str, Any]) -> StartFrame:
    start = message.get("start")
    if not isinstance(start, dict):
        raise ProtocolError("start message without a 'start' object")
    params = start.get("customParameters") or {}
    if not isinstance(params, dict):
        raise ProtocolError("start.customParameters must be an object")
    return StartFrame(
        stream_id=_text(start.get("streamSid") or message.get("streamSid"), "start.streamSid"),
        call_id=_text(start.get("callSid"), "start.callSid"),
        caller=str(params.get("caller") or params.get("from") or ""),
        token=str(params["token"]) if params.get("token") is not None else None,
        audio_format=_audio_format(start.get("mediaFormat")),
    )


def _audio_format(declared: Any) -> AudioFormat:
    if declared is None:
        return AudioFormat()
    if not isinstance(declared, dict):
        raise ProtocolError("start.mediaFormat must be an object")
    try:
        return AudioFormat.checked(
            str(declared.get("encoding", MULAW)), declared.get("sampleRate", 8000), declared.get("channels", 1)
        )
    except UnsupportedAudioFormat as error:
        raise ProtocolError(str(error)) from error


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
