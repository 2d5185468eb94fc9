"""Stand-ins for the speech engine and the provider's line in the voice processors' unit tests."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from channels.voice.audio_format import AudioFormat
from channels.voice.background import Background
from channels.voice.frames import StartFrame
from channels.voice.processors.playback import Playback
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

    def marks(self) -> list[str]:
        return [m["mark"]["name"] for m in self.sent if m["event"] == "mark"]


def playback(voice: FakeVoice, line: Line) -> Playback:
    serializer = TwilioSerializer().for_stream(StartFrame("MZ7", "CA7"))
    return Playback(voice, AudioFormat(), serializer, line.send, Background())
