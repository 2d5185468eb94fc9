"""The seam between a telephony provider's messages and the call (in the style of Pipecat's serializers).

A serializer parses one inbound WebSocket message into a frame and builds the three outbound messages
a call needs. The call and the transport only see this Protocol, so a second provider is a new
serializer, not an edit of the call.
"""

from __future__ import annotations

from typing import Protocol

from channels.voice.frames import InputFrame, StartFrame


class ProtocolError(ValueError):
    """A message the gateway cannot use; the text says why (sent as the WebSocket close reason)."""


class FrameSerializer(Protocol):
    @property
    def protocol_name(self) -> str:
        """Named in close reasons ("send JSON text messages (<protocol_name>)")."""
        ...

    @property
    def max_message_bytes(self) -> int:
        """The largest inbound message; the WebSocket refuses larger ones."""
        ...

    def deserialize(self, raw: str | bytes) -> InputFrame:
        """One inbound message → a frame, or ProtocolError with a sentence saying what is wrong."""
        ...

    def for_stream(self, start: StartFrame) -> FrameSerializer:
        """This serializer with its outbound messages addressed to the stream that ``start`` began."""
        ...

    def audio(self, payload: bytes) -> str:
        """A message playing ``payload`` (one frame in the stream's audio format) to the caller."""
        ...

    def mark(self, name: str) -> str:
        """A message the provider echoes as a MarkFrame once the audio sent before it has played."""
        ...

    def clear(self) -> str:
        """A message dropping the audio the provider still buffers (barge-in)."""
        ...
