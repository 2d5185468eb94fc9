"""A telephony provider's side of the voice gateway, for tests, the benchmark and smoke checks.

It behaves like Twilio Media Streams: after ``connected`` and ``start`` it streams caller audio as
20 ms frames *continuously* (silence when the caller says nothing), plays the gateway's reply frames
on a simulated play-out clock, echoes each ``mark`` when the audio before it has "played", and
empties its buffer on ``clear``. ``speed`` > 1 runs the caller's clock faster than real time.

    python -m tools.phone_client ws://127.0.0.1:8107/voice/stream "where is my order"
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np

from channels.voice.audio_format import MULAW, AudioFormat, encode_reply
from channels.voice.serializers.twilio import media_format
from speech.audio import SAMPLE_RATE, mulaw_to_pcm16, resample

FRAME_S = 0.02
MULAW_SILENCE = b"\xff" * 160


def trim_silence(pcm: np.ndarray, rate: int, threshold: float = 0.02) -> np.ndarray:
    """The utterance without leading/trailing near-silence, so "end of speech" is the last sound."""
    window = max(1, rate // 100)
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > threshold * 32768)
    if loud.size == 0:
        return pcm[:0]
    return pcm[max(0, loud[0] - window) : loud[-1] + window]


@dataclass
class ReceivedFrame:
    at: float  # monotonic arrival time
    payload: bytes


@dataclass
class Reply:
    """What the gateway said between two moments of the call."""

    frames: list[ReceivedFrame]
    marks: list[str]
    clears: int
    underrun_frames: int  # 20 ms frames of silence the caller heard *inside* the reply (late audio)

    @property
    def audio(self) -> bytes:
        return b"".join(frame.payload for frame in self.frames)

    @property
    def first_at(self) -> float | None:
        return self.frames[0].at if self.frames else None

    def pcm16k(self, audio_format: AudioFormat) -> np.ndarray:
        if audio_format.encoding == MULAW:
            return mulaw_to_pcm16(self.audio, audio_format.sample_rate, SAMPLE_RATE)
        pcm = np.frombuffer(self.audio[: len(self.audio) // 2 * 2], dtype="<i2").astype(np.int16)
        return resample(pcm, audio_format.sample_rate, SAMPLE_RATE)


@dataclass
class PhoneCall:
    url: str
    token: str | None = None
    token_in: str = "query"  # "query" (?token=) or "parameter" (start.customParameters.token)
    audio_format: AudioFormat = field(default_factory=AudioFormat)
    speed: float = 1.0
    caller: str = "+15550100"
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    stream_sid: str = field(default_factory=lambda: "MZ" + uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self.frames: list[ReceivedFrame] = []
        self.marks: list[tuple[float, str]] = []
        self.clears: list[float] = []
        self.playout_end = 0.0  # monotonic time the simulated speaker runs dry
        self.underruns: list[tuple[float, int]] = []
        self.closed: tuple[int | None, str] | None = None
        self.frames_sent = 0
        self._audio: asyncio.Queue[tuple[bytes, asyncio.Future[float]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[Any]] = []
        self._mark_timers: set[asyncio.TimerHandle] = set()
        self._echoes: set[asyncio.Future[None]] = set()
        self._sequence = 0
        self.speech_ended_at: float | None = None

    # ------------------------------------------------------------------ connection

    async def connect(self, extra_parameters: dict[str, str] | None = None) -> PhoneCall:
        self._http = aiohttp.ClientSession()
        url = self.url
        if self.token is not None and self.token_in == "query":
            url += ("&" if "?" in url else "?") + f"token={self.token}"
        self.ws = await self._http.ws_connect(url, max_msg_size=1 << 20)
        parameters = {"caller": self.caller, **(extra_parameters or {})}
        if self.token is not None and self.token_in == "parameter":
            parameters["token"] = self.token
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        start = {
            "streamSid": self.stream_sid,
            "accountSid": "AC" + "0" * 32,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "customParameters": parameters,
            "mediaFormat": media_format(self.audio_format),
        }
        await self.send({"event": "start", "start": start})
        self._tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._stream())]
        return self

    async def send(self, message: dict[str, Any]) -> None:
        self._sequence += 1
        message = {**message, "sequenceNumber": str(self._sequence), "streamSid": self.stream_sid}
        await self.ws.send_str(json.dumps(message))

    async def close(self, *, stop: bool = True) -> None:
        """Hang up: ``stop`` then close (stop=False: the line just drops)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for timer in self._mark_timers:
            timer.cancel()
        if not self.ws.closed:
            if stop:
                await self.send({"event": "stop", "stop": {"accountSid": "AC", "callSid": self.call_sid}})
            await self.ws.close()
        await self._http.close()

    # ------------------------------------------------------------------ caller audio

    def frames_for(self, pcm: np.ndarray, rate: int) -> list[bytes]:
        return encode_reply(pcm, rate, self.audio_format)

    async def say(self, pcm: np.ndarray, rate: int, trailing_silence_s: float = 0.0) -> float:
        """Streams the utterance in real-time (scaled) frames; returns when its last frame was sent."""
        done: list[asyncio.Future[float]] = []
        for frame in self.frames_for(pcm, rate):
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            self._audio.put_nowait((frame, future))
            done.append(future)
        if not done:
            return time.monotonic()
        self.speech_ended_at = await done[-1]
        if trailing_silence_s:
            await asyncio.sleep(trailing_silence_s / self.speed)
        return self.speech_ended_at

    async def send_raw_frames(self, payloads: Sequence[bytes]) -> None:
        """Frames exactly as given (truncated, odd-sized...), in the stream's rhythm."""
        futures = []
        for payload in payloads:
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            self._audio.put_nowait((payload, future))
            futures.append(future)
        await asyncio.gather(*futures)

    def silence_frame(self) -> bytes:
        if self.audio_format.encoding == MULAW:
            return MULAW_SILENCE[: self.audio_format.bytes_per_frame]
        return b"\x00" * self.audio_format.bytes_per_frame

    async def _stream(self) -> None:
        """One frame every 20 ms (scaled) for the whole call, like a phone line."""
        next_at = time.monotonic()
        while True:
            try:
                frame, future = self._audio.get_nowait()
            except asyncio.QueueEmpty:
                frame, future = self.silence_frame(), None
            payload = base64.b64encode(frame).decode()
            if self.ws.closed:
                return
            try:
                chunk = str(self.frames_sent + 1)
                timestamp = str(int(self.frames_sent * FRAME_S * 1000))
                media = {"track": "inbound", "chunk": chunk, "timestamp": timestamp, "payload": payload}
                await self.send({"event": "media", "media": media})
            except ConnectionError:  # the gateway closed the stream
                return
            self.frames_sent += 1
            if future is not None and not future.done():
                future.set_result(time.monotonic())
            next_at += FRAME_S / self.speed
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def dtmf(self, digits: str) -> None:
        for digit in digits:
            await self.send({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": digit}})
            await asyncio.sleep(0.1 / self.speed)

    # ------------------------------------------------------------------ gateway audio

    async def _receive(self) -> None:
        loop = asyncio.get_running_loop()
        reason = ""
        while True:
            message = await self.ws.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                reason = str(message.extra or "") if message.type == aiohttp.WSMsgType.CLOSE else ""
                break
            data = json.loads(message.data)
            now = time.monotonic()
            if data["event"] == "media":
                payload = base64.b64decode(data["media"]["payload"])
                if self.playout_end and now > self.playout_end and self.frames and now - self.frames[-1].at < 2.0:
                    late = int((now - self.playout_end) * self.speed / FRAME_S)
                    if late:
                        self.underruns.append((now, late))
                self.frames.append(ReceivedFrame(now, payload))
                duration = len(payload) / (self.audio_format.bytes_per_frame / FRAME_S) / self.speed
                self.playout_end = max(self.playout_end, now) + duration
            elif data["event"] == "mark":
                name = data["mark"]["name"]
                timer = loop.call_at(max(self.playout_end, now), self._echo_mark, name)
                self._mark_timers.add(timer)
            elif data["event"] == "clear":
                self.clears.append(now)
                self.playout_end = now
        self.closed = (self.ws.close_code, reason)

    def _echo_mark(self, name: str) -> None:
        self.marks.append((time.monotonic(), name))
        if not self.ws.closed:
            task = asyncio.ensure_future(self.send({"event": "mark", "mark": {"name": name}}))
            self._echoes.add(task)
            task.add_done_callback(self._echoes.discard)

    # ------------------------------------------------------------------ waiting

    def reply_since(self, since: float) -> Reply:
        frames = [f for f in self.frames if f.at >= since]
        return Reply(
            frames=frames,
            marks=[name for at, name in self.marks if at >= since],
            clears=sum(1 for at in self.clears if at >= since),
            underrun_frames=sum(n for at, n in self.underruns if at >= since),
        )

    async def wait_reply(self, since: float, timeout_s: float = 30.0, settle_s: float = 0.6) -> Reply:
        """Waits until the gateway said something after ``since`` and then everything it said was
        played (every mark echoed) with no new audio for ``settle_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.closed is None:
            reply = self.reply_since(since)
            now = time.monotonic()
            quiet = reply.frames and now - reply.frames[-1].at >= settle_s and now >= self.playout_end
            if quiet and len(self._pending_marks()) == 0:
                return reply
            await asyncio.sleep(0.05)
        return self.reply_since(since)

    def _pending_marks(self) -> list[asyncio.TimerHandle]:
        self._mark_timers = {t for t in self._mark_timers if not t.cancelled() and t.when() > time.monotonic()}
        return list(self._mark_timers)


async def _main(argv: list[str] | None = None) -> int:
    from speech.recognition import load_recognizer
    from speech.synthesis import load_synthesizer

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("text", nargs="+", help="what the caller says (one argument per turn)")
    parser.add_argument("--token", default=os.environ.get("VOICE_GATEWAY_TOKEN"))
    args = parser.parse_args(argv)
    synthesizer, recognizer = load_synthesizer("piper"), load_recognizer("tiny.en")
    call = await PhoneCall(args.url, token=args.token).connect()
    try:
        greeting = await call.wait_reply(0.0)
        print("assistant:", recognizer.transcribe(greeting.pcm16k(call.audio_format)).text)
        for text in args.text:
            speech = synthesizer.synthesize(text)
            print("caller:   ", text)
            ended = await call.say(speech.pcm, speech.sample_rate)
            reply = await call.wait_reply(ended)
            latency = (reply.first_at - ended) if reply.first_at else float("nan")
            heard = recognizer.transcribe(reply.pcm16k(call.audio_format)).text
            print(f"assistant: {heard}  [first audio after {latency:.2f} s]")
    finally:
        await call.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(_main()))
