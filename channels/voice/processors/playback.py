"""What the caller hears: one speech at a time, sentence by sentence, each sentence followed by a mark.

Each sentence is synthesised (services/speech.py), encoded in the caller's format, sent as 20 ms audio
messages and followed by a mark, which the provider echoes once that sentence has played. A new
speech replaces the one being said; barge-in (``cut``) cancels it and clears what the provider still
buffers; nothing replaces or cuts the last words of a call that ran out of time. Messages are built
by the stream's serializer, so this module names no provider.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from channels.voice.audio_format import AudioFormat, encode_reply
from channels.voice.background import Background
from channels.voice.serializers.base import FrameSerializer
from channels.voice.spoken import sentences
from speech.synthesis import Speech

FIRST_SENTENCE_CHARS = 60  # a long first sentence is cut at a comma: the caller hears something sooner
END_OF_CALL = "end-of-call"  # the mark after the last words: the stream ends when it comes back

Send = Callable[[str], Awaitable[None]]


class TextToSpeech(Protocol):
    """The synthesizer service (services/speech.py): a sentence → audio, off the event loop."""

    async def synthesize(self, text: str) -> Speech: ...


class Playback:
    def __init__(
        self,
        tts: TextToSpeech,
        audio_format: AudioFormat,
        serializer: FrameSerializer,
        send: Send,
        background: Background,
    ) -> None:
        self.tts = tts
        self.format = audio_format
        self.serializer = serializer
        self._send = send
        self._background = background
        self.speaker: asyncio.Task[None] | None = None
        self.outstanding_marks: set[str] = set()
        self.mark_ids = itertools.count(1)
        self.last_words = False  # the time-limit goodbye is being said: nothing replaces or cuts it

    @property
    def speaking(self) -> bool:
        """A speech is being synthesised or sent."""
        return self.speaker is not None and not self.speaker.done()

    @property
    def playing(self) -> bool:
        """The caller hears something: a speech is being sent, or sent audio has not played yet."""
        return self.speaking or bool(self.outstanding_marks)

    def start(self, speech: Coroutine[Any, Any, None], *, last_words: bool = False) -> None:
        """Replaces whatever is being said, unless last words are (``last_words``: the time-limit goodbye)."""
        if self.last_words:
            speech.close()
            return
        self.last_words = last_words
        if self.speaker is not None and not self.speaker.done():
            self.speaker.cancel()
        self.speaker = asyncio.ensure_future(speech)

    async def wait(self) -> None:
        """Returns when the current speech was sent (or cut off by barge-in)."""
        if self.speaker is not None:
            await asyncio.wait({self.speaker})

    async def say(self, texts: list[str]) -> None:
        for text in texts:
            for part in sentences(text, first_max_chars=FIRST_SENTENCE_CHARS):
                await self.play(part)

    async def play(self, text: str) -> None:
        """One sentence: synthesised, sent as audio messages, then a mark."""
        speech = await self.tts.synthesize(text)
        if speech.pcm.size == 0:
            return
        for frame in encode_reply(speech.pcm, speech.sample_rate, self.format):
            await self._send(self.serializer.audio(frame))
        name = f"say-{next(self.mark_ids)}"
        self.outstanding_marks.add(name)
        await self._send(self.serializer.mark(name))

    def cut(self) -> bool:
        """Barge-in: the speech in progress stops and the provider drops what it buffers. False when
        nothing was playing or last words are."""
        if self.last_words or not self.playing:
            return False
        if self.speaker is not None:
            self.speaker.cancel()
        self.clear()
        return True

    def clear(self) -> None:
        """The provider drops the audio it still buffers (its marks will not come back)."""
        self.outstanding_marks.clear()
        self._background.run(self._send(self.serializer.clear()))

    def played(self, name: str) -> bool:
        """The provider played up to the mark ``name``; True when everything sent has played."""
        self.outstanding_marks.discard(name)
        return not self.outstanding_marks

    async def say_last(self, text: str) -> None:
        """A goodbye, then the end-of-call mark: the stream ends once the goodbye has played."""
        await self.say([text])
        await self.end_after()

    async def end_after(self) -> None:
        """Sends the end-of-call mark after what was sent: the stream ends when it has played."""
        self.outstanding_marks.add(END_OF_CALL)
        await self._send(self.serializer.mark(END_OF_CALL))

    def end_after_nowait(self) -> None:
        self._background.run(self._send(self.serializer.mark(END_OF_CALL)))
        self.outstanding_marks.add(END_OF_CALL)
