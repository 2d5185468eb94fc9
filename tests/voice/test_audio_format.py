"""channels.voice.audio_format and the browser tickets: audio framing, decoding, tickets and the token check."""

from __future__ import annotations

import numpy as np
import pytest

from channels.voice.audio_format import L16, MULAW, AudioFormat, InboundDecoder, encode_reply
from channels.voice.limits import TicketBook
from channels.voice.server import valid_token
from speech.audio import AudioError


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
