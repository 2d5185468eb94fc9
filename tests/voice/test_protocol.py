"""channels.voice.protocol, dtmf and the browser tickets: message shapes, audio framing, keypad entries."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from channels.voice.dtmf import DigitCollector
from channels.voice.limits import TicketBook
from channels.voice.protocol import (
    L16,
    MULAW,
    AudioError,
    AudioFormat,
    Connected,
    Dtmf,
    InboundDecoder,
    Mark,
    Media,
    ProtocolError,
    Start,
    Stop,
    clear_message,
    encode_reply,
    mark_message,
    media_message,
    parse,
)
from channels.voice.server import valid_token


def twilio(event: str, **fields: object) -> str:
    return json.dumps({"event": event, "sequenceNumber": "2", "streamSid": "MZ1", **fields})


def test_twilio_messages_are_parsed() -> None:
    assert parse(twilio("connected", protocol="Call", version="1.0.0")) == Connected("Call")
    start = parse(
        twilio(
            "start",
            start={
                "streamSid": "MZ1",
                "callSid": "CA1",
                "customParameters": {"caller": "+1555", "token": "t"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        )
    )
    assert start == Start("MZ1", "CA1", {"caller": "+1555", "token": "t"}, AudioFormat(MULAW, 8000))
    payload = bytes(range(160))
    encoded = base64.b64encode(payload).decode()
    media = parse(twilio("media", media={"track": "inbound", "chunk": "7", "timestamp": "140", "payload": encoded}))
    assert media == Media(payload, 7)
    assert parse(twilio("mark", mark={"name": "say-1"})) == Mark("say-1")
    assert parse(twilio("dtmf", dtmf={"track": "inbound_track", "digit": "5"})) == Dtmf("5")
    assert parse(twilio("stop", stop={"callSid": "CA1"})) == Stop()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not json", "JSON text"),
        ("[1]", "JSON objects"),
        (twilio("hello"), "unknown event"),
        (twilio("media", media={"payload": "@@@"}), "base64"),
        (twilio("media", media={}), "payload"),
        (twilio("start", start={"streamSid": "MZ1"}), "callSid"),
        (twilio("start", start={"streamSid": "MZ1", "callSid": "CA1", "mediaFormat": {"sampleRate": 44100}}), "44100"),
        (twilio("start", start={"streamSid": "M", "callSid": "C", "mediaFormat": {"encoding": "audio/opus"}}), "opus"),
        (twilio("start", start={"streamSid": "M", "callSid": "C", "mediaFormat": {"channels": 2}}), "mono"),
        (twilio("dtmf", dtmf={"digit": "x"}), "dtmf.digit"),
        (twilio("mark", mark={}), "mark.name"),
        ("x" * 70000, "larger"),
    ],
)
def test_bad_messages_say_what_is_wrong(raw: str, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        parse(raw)


def test_outbound_messages_have_twilios_shape() -> None:
    assert json.loads(media_message("MZ1", b"\x01\x02")) == {
        "event": "media",
        "streamSid": "MZ1",
        "media": {"payload": "AQI="},
    }
    assert json.loads(mark_message("MZ1", "say-3")) == {"event": "mark", "streamSid": "MZ1", "mark": {"name": "say-3"}}
    assert json.loads(clear_message("MZ1")) == {"event": "clear", "streamSid": "MZ1"}


def tone(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)


def test_replies_are_cut_into_20_ms_frames_of_the_callers_format() -> None:
    frames = encode_reply(tone(1.0, 22050), 22050, AudioFormat(MULAW, 8000))
    assert len(frames) == 50 and {len(f) for f in frames} == {160}
    frames = encode_reply(tone(0.5, 22050), 22050, AudioFormat(L16, 16000))
    assert len(frames) == 25 and {len(f) for f in frames} == {640}


def test_inbound_audio_is_decoded_to_16_khz() -> None:
    mulaw = encode_reply(tone(0.2, 8000), 8000, AudioFormat())
    decoder = InboundDecoder(AudioFormat())
    decoded = np.concatenate([decoder.decode(frame) for frame in mulaw] + [decoder._mulaw.flush()])
    assert decoded.dtype == np.int16 and abs(decoded.size - 3200) <= 40
    assert np.abs(decoded).max() > 4000  # the tone survived mu-law and resampling
    l16 = InboundDecoder(AudioFormat(L16, 16000))
    assert l16.decode(b"\x00\x01" * 320).size == 320
    with pytest.raises(AudioError, match="truncated"):
        l16.decode(b"\x00" * 101)
    assert InboundDecoder(AudioFormat()).decode(b"\xff" * 37).dtype == np.int16  # a short mu-law frame is fine


def test_keypad_entries_end_with_hash_or_a_pause() -> None:
    keys = DigitCollector(timeout_s=3)
    assert [keys.press(d, now=i) for i, d in enumerate("1045")] == [None] * 4
    assert keys.press("*", now=5) is None and not keys.pending  # '*' starts over
    for i, d in enumerate("104532"):
        keys.press(d, now=10 + i)
    assert keys.press("#", now=17) == "104532"
    assert keys.press("#", now=18) is None  # nothing typed
    keys.press("9", now=20)
    assert keys.due(now=22) is None
    assert keys.due(now=23) == "9" and keys.due(now=30) is None


def test_browser_tickets_expire_cannot_be_forged_and_start_one_call_each() -> None:
    now = [1000.0]
    book = TicketBook("secret-token", ttl_s=60, clock=lambda: now[0])
    ticket, second = book.issue(), book.issue()
    expiry, nonce, signature = ticket.split(".")
    assert not book.redeem(f"{int(expiry) + 999}.{nonce}.{signature}")  # a later expiry is not signed
    assert not book.redeem(f"{expiry}.other.{signature}")
    assert not TicketBook("other-token", ttl_s=60, clock=lambda: now[0]).redeem(second)
    assert not book.redeem("garbage") and not book.redeem("")
    now[0] = 1030
    assert book.redeem(ticket)
    assert not book.redeem(ticket), "a ticket starts one call only"
    now[0] = 1000 + 61
    assert not book.redeem(second), "expired"
    assert book.redeemed == {}, "redeemed tickets are forgotten once they expire"
    assert valid_token("t" * 40, "t" * 40) and not valid_token("t" * 40, "t" * 39) and not valid_token("t", None)
