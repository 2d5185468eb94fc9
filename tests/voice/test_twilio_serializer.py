"""channels.voice.serializers.twilio: Twilio Media Streams messages ⇄ frames.

The inbound messages are shaped as Twilio documents them (https://www.twilio.com/docs/voice/media-streams/
websocket-messages), with every field Twilio sends, including the ones the gateway ignores.
"""

from __future__ import annotations

import base64
import json

import pytest

from channels.voice.audio_format import L16, MULAW, AudioFormat
from channels.voice.frames import AudioFrame, ConnectedFrame, DtmfFrame, MarkFrame, StartFrame, StopFrame
from channels.voice.serializers.base import FrameSerializer, ProtocolError
from channels.voice.serializers.twilio import TwilioSerializer, media_format

SERIALIZER = TwilioSerializer()


def parse(raw: str) -> object:
    return SERIALIZER.deserialize(raw)


def twilio(event: str, **fields: object) -> str:
    return json.dumps({"event": event, "sequenceNumber": "2", "streamSid": "MZ1", **fields})


def test_it_is_a_frame_serializer() -> None:
    serializer: FrameSerializer = SERIALIZER  # checked by mypy; the assert below by pytest
    assert serializer.protocol_name == "Twilio Media Streams" and serializer.max_message_bytes == 64 * 1024


def test_twilio_messages_are_parsed() -> None:
    assert parse(twilio("connected", protocol="Call", version="1.0.0")) == ConnectedFrame("Call")
    start = parse(
        twilio(
            "start",
            start={
                "accountSid": "AC1",
                "streamSid": "MZ1",
                "callSid": "CA1",
                "tracks": ["inbound"],
                "customParameters": {"caller": "+1555", "token": "t"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        )
    )
    assert start == StartFrame("MZ1", "CA1", caller="+1555", token="t", audio_format=AudioFormat(MULAW, 8000))
    payload = bytes(range(160))
    encoded = base64.b64encode(payload).decode()
    media = parse(twilio("media", media={"track": "inbound", "chunk": "7", "timestamp": "140", "payload": encoded}))
    assert media == AudioFrame(payload, 7)
    assert parse(twilio("mark", mark={"name": "say-1"})) == MarkFrame("say-1")
    assert parse(twilio("dtmf", dtmf={"track": "inbound_track", "digit": "5"})) == DtmfFrame("5")
    assert parse(twilio("stop", stop={"accountSid": "AC1", "callSid": "CA1"})) == StopFrame()


def test_the_browser_pages_start_may_declare_l16_and_the_stream_id_at_the_top() -> None:
    start = parse(
        json.dumps(
            {
                "event": "start",
                "streamSid": "web-1",
                "start": {"callSid": "web", "mediaFormat": media_format(AudioFormat(L16, 16000))},
            }
        )
    )
    assert start == StartFrame("web-1", "web", audio_format=AudioFormat(L16, 16000))


def test_the_caller_may_come_as_the_parameter_from_and_no_token_is_none() -> None:
    start = parse(twilio("start", start={"streamSid": "MZ1", "callSid": "CA1", "customParameters": {"from": "+1666"}}))
    assert isinstance(start, StartFrame) and (start.caller, start.token) == ("+1666", None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not json", "JSON text"),
        ("[1]", "JSON objects"),
        (twilio("hello"), "unknown event"),
        (twilio("clear"), "unknown event"),  # outbound only: a caller cannot clear our playback
        (twilio("media", media={"payload": "@@@"}), "base64"),
        (twilio("media", media={}), "payload"),
        (twilio("start", start={"streamSid": "MZ1"}), "callSid"),
        (twilio("start", start={"streamSid": "MZ1", "callSid": "CA1", "mediaFormat": {"sampleRate": 44100}}), "44100"),
        (twilio("start", start={"streamSid": "M", "callSid": "C", "mediaFormat": {"encoding": "audio/opus"}}), "opus"),
        (twilio("start", start={"streamSid": "M", "callSid": "C", "mediaFormat": {"channels": 2}}), "mono"),
        (twilio("start", start={"streamSid": "M", "callSid": "C", "mediaFormat": "mulaw"}), "mediaFormat"),
        (twilio("dtmf", dtmf={"digit": "x"}), "dtmf.digit"),
        (twilio("mark", mark={}), "mark.name"),
        ("x" * 70000, "larger"),
    ],
)
def test_bad_messages_say_what_is_wrong(raw: str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        parse(raw)


def test_outbound_messages_have_twilios_shape_and_the_streams_id() -> None:
    start = StartFrame("MZ1", "CA1")
    serializer = SERIALIZER.for_stream(start)
    assert json.loads(serializer.audio(b"\x01\x02")) == {
        "event": "media",
        "streamSid": "MZ1",
        "media": {"payload": "AQI="},
    }
    assert json.loads(serializer.mark("say-3")) == {"event": "mark", "streamSid": "MZ1", "mark": {"name": "say-3"}}
    assert json.loads(serializer.clear()) == {"event": "clear", "streamSid": "MZ1"}


def test_what_the_gateway_sends_parses_back_to_the_same_frames() -> None:
    """The browser page echoes marks as sent and a test caller may loop audio back: the round trip is exact."""
    serializer = SERIALIZER.for_stream(StartFrame("MZ9", "CA9"))
    payload = bytes(range(256)) * 2
    assert serializer.deserialize(serializer.audio(payload)) == AudioFrame(payload, None)
    assert serializer.deserialize(serializer.mark("end-of-call")) == MarkFrame("end-of-call")
    declared = AudioFormat(L16, 8000)
    fields = {"streamSid": "MZ9", "callSid": "CA9", "mediaFormat": media_format(declared)}
    start = serializer.deserialize(json.dumps({"event": "start", "start": fields}))
    assert isinstance(start, StartFrame) and start.audio_format == declared
