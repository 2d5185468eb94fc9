"""One call's WebSocket: provider messages in as frames (through the serializer), messages out.

The transport knows aiohttp and WebSocket close codes; the serializer knows the provider's JSON; the
call (call.py) knows neither. ``server.answer`` admits the stream and builds the call in between.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiohttp import WSMsgType, web

from channels.voice.frames import AudioFrame, ConnectedFrame, DtmfFrame, MarkFrame, StartFrame, StopFrame
from channels.voice.serializers.base import FrameSerializer, ProtocolError

logger = logging.getLogger("channels.voice")

START_TIMEOUT_S = 10.0
MAX_PROTOCOL_ERRORS = 20
POLICY_VIOLATION = 1008
UNSUPPORTED_DATA = 1003


class FrameSink(Protocol):
    """What the transport feeds (the call): frames after ``start``, and the flood check."""

    call_id: str

    @property
    def ending(self) -> str | None:
        """Why the gateway itself ends the call, if it does (reported as the end of the stream)."""
        ...

    def on_audio(self, frame: AudioFrame) -> None: ...
    def on_mark(self, name: str) -> None: ...
    def on_dtmf(self, digit: str) -> None: ...
    def flooded(self) -> bool: ...


async def wait_for_start(ws: web.WebSocketResponse, serializer: FrameSerializer) -> StartFrame | None:
    """Reads up to the ``start`` message (after an optional ``connected``); None if the stream ended."""
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    await close(ws, UNSUPPORTED_DATA, f"send JSON text messages ({serializer.protocol_name})")
                    return None
                frame = serializer.deserialize(message.data)
                if isinstance(frame, StartFrame):
                    return frame
                if not isinstance(frame, ConnectedFrame):
                    await close(ws, POLICY_VIOLATION, "the first message must be 'start' (after 'connected')")
                    return None
    except TimeoutError:
        await close(ws, POLICY_VIOLATION, f"no 'start' message within {START_TIMEOUT_S:.0f} s")
    return None


async def relay(ws: web.WebSocketResponse, serializer: FrameSerializer, call: FrameSink) -> str:
    """Feeds the caller's frames to the call until ``stop`` or the socket closes; returns why it ended."""
    errors = 0
    async for message in ws:
        if message.type == WSMsgType.BINARY:
            await close(ws, UNSUPPORTED_DATA, "binary frames are not part of the protocol: send JSON text")
            return "binary frame"
        if message.type != WSMsgType.TEXT:
            break
        try:
            frame = serializer.deserialize(message.data)
        except ProtocolError as error:
            errors += 1
            logger.warning("call %s: message ignored: %s", call.call_id, error)
            if errors >= MAX_PROTOCOL_ERRORS:
                await close(ws, POLICY_VIOLATION, f"too many malformed messages; last: {error}")
                return "protocol errors"
            continue
        if isinstance(frame, AudioFrame):
            call.on_audio(frame)
        elif isinstance(frame, MarkFrame):
            call.on_mark(frame.name)
        elif isinstance(frame, DtmfFrame):
            call.on_dtmf(frame.digit)
        elif isinstance(frame, StopFrame):
            return "stop"
        if call.flooded():
            await close(ws, POLICY_VIOLATION, "audio arrives much faster than real time: stream closed")
            return "audio flood"
    return "socket closed" if call.ending is None else call.ending


async def send(ws: web.WebSocketResponse, text: str) -> None:
    if ws.closed:
        return
    try:
        await ws.send_str(text)
    except (ConnectionResetError, RuntimeError) as error:  # the caller went away between two frames
        logger.debug("send on a closing stream: %s", error)


async def close(ws: web.WebSocketResponse, code: int, reason: str) -> None:
    if code != 1000:
        logger.warning("closing voice stream: %s (%d)", reason, code)
    if not ws.closed:
        await ws.close(code=code, message=reason.encode()[:120])
