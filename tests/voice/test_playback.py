"""channels.voice.processors.playback: sentences out as audio and marks, one speech at a time, barge-in."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from channels.voice.audio_format import AudioFormat
from channels.voice.background import Background
from channels.voice.frames import StartFrame
from channels.voice.processors.playback import END_OF_CALL, Playback
from channels.voice.serializers.twilio import TwilioSerializer
from speech.synthesis import Speech


@dataclass
class FakeVoice:
    said: list[str] = field(default_factory=list)
    delay_s: float = 0.0

    async def synthesize(self, text: str) -> Speech:
        await asyncio.sleep(self.delay_s)
        self.said.append(text)
        if text == "(silence)":
            return Speech(np.zeros(0, np.int16), 22050)
        return Speech(np.full(2205, 1000, dtype=np.int16), 22050)  # 0.1 s: five 20 ms frames


@dataclass
class Line:
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))

    def kinds(self) -> list[str]:
        return [m["event"] for m in self.sent]


def playback(voice: FakeVoice, line: Line) -> Playback:
    serializer = TwilioSerializer().for_stream(StartFrame("MZ7", "CA7"))
    return Playback(voice, AudioFormat(), serializer, line.send, Background())


async def test_each_sentence_is_sent_as_frames_and_a_mark() -> None:
    voice, line = FakeVoice(), Line()
    out = playback(voice, line)
    out.start(out.say(["Your order has shipped. It arrives on Monday.", "(silence)"]))
    await out.wait()
    assert voice.said == ["Your order has shipped.", "It arrives on Monday.", "(silence)"]
    assert line.kinds() == ["media"] * 5 + ["mark"] + ["media"] * 5 + ["mark"], "nothing for an empty sentence"
    assert {m["streamSid"] for m in line.sent} == {"MZ7"}
    assert out.playing and not out.speaking, "sent, not yet played"
    assert not out.played("say-1") and out.played("say-2") and not out.playing


async def test_barge_in_stops_the_speech_and_clears_the_providers_buffer() -> None:
    voice, line = FakeVoice(delay_s=0.05), Line()
    out = playback(voice, line)
    assert not out.cut(), "nothing plays: nothing to cut"
    out.start(out.say(["One. Two. Three. Four."]))
    while "mark" not in line.kinds():
        await asyncio.sleep(0.01)
    assert out.cut()
    await out.wait()
    await asyncio.sleep(0.01)  # the clear is sent in the background
    assert line.kinds()[-1] == "clear" and len(voice.said) < 4 and not out.playing


async def test_a_new_speech_replaces_the_one_being_said() -> None:
    voice, line = FakeVoice(delay_s=0.05), Line()
    out = playback(voice, line)
    out.start(out.say(["First. Second. Third."]))
    await asyncio.sleep(0.07)
    out.start(out.say(["Something else."]))
    await out.wait()
    assert voice.said[-1] == "Something else." and "Third." not in voice.said


async def test_the_end_of_call_mark_follows_the_last_words() -> None:
    voice, line = FakeVoice(), Line()
    out = playback(voice, line)
    await out.say(["Goodbye!"])
    await out.end_after()
    assert [m["mark"]["name"] for m in line.sent if m["event"] == "mark"] == ["say-1", END_OF_CALL]
    assert not out.played("say-1") and out.played(END_OF_CALL)
