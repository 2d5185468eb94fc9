"""One phone call: caller audio in, turns to Rasa, spoken replies out, barge-in, keypad, hang-up.

The WebSocket handler (server.py) feeds events in; everything said goes out through ``send`` as
Twilio Media Streams messages. Flow of a turn:

1. Every 20 ms frame is decoded to 16 kHz and fed to the streaming VAD (cheap, on the event loop).
2. After ``speculate_ms`` of silence recognition starts early in the thread pool; when the VAD
   confirms the end of the turn (``end_silence_ms``) that transcript is usually ready.
3. The transcript (or keypad digits) goes to Rasa's voice channel; each bot message is rewritten for
   the ear (spoken.py), cut into sentences, synthesised one by one and sent as 20 ms frames followed
   by a ``mark``. The provider echoes the mark when that sentence has been played.
4. When the caller starts speaking while a reply is being synthesised or played, the reply is
   cancelled and ``clear`` drops what the provider still buffers (barge-in).

A turn heard with low confidence is confirmed first ("Did you say order one zero four...?").
When the call ends, an utterance in progress is still transcribed and stored in the conversation,
the Rasa requests in flight finish (bounded by the Rasa timeout), and every task is cancelled.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from channels.voice.dtmf import DigitCollector
from channels.voice.engines import Engines
from channels.voice.limits import AudioPace, BoundedQueue
from channels.voice.protocol import (
    AudioError,
    AudioFormat,
    InboundDecoder,
    clear_message,
    encode_reply,
    mark_message,
    media_message,
)
from channels.voice.rasa_client import RasaClient, RasaUnavailable
from channels.voice.settings import VoiceSettings
from channels.voice.spoken import confirmation_question, heard_text, sentences, spoken_reply, yes_or_no
from channels.voice.texts import voice_text
from speech.audio import SAMPLE_RATE
from speech.recognition import Transcript
from speech.vad import EndOfSpeechDetector

logger = logging.getLogger(__name__)

PRE_ROLL_S = 0.3  # audio kept before the VAD's speech start (the first consonant)
TAIL_S = 0.25  # audio kept after the VAD's speech end (the word's fading tail)
MIN_HANGUP_UTTERANCE_S = 0.4
AUDIBLE_RMS = 300.0  # about -40 dBFS over 20 ms: a consonant, not line noise
AUDIBLE_WINDOW = SAMPLE_RATE // 50
TAIL_PAD_S = 0.1  # kept after the last audible window when sound went on past TAIL_S
FIRST_SENTENCE_CHARS = 60  # a long first sentence is cut at a comma: the caller hears something sooner
TICK_S = 0.1
IDLE_AUDIO_S = 2.0  # audio kept between turns (the VAD reports a start a little after it happened)
MAX_NO_INPUT_PROMPTS = 2
GOODBYE_GRACE_S = 20.0  # after the time-limit goodbye, the stream ends even if its mark never comes back
DTMF_PACE_S = 0.05  # a key press costs this much of the audio pace: a flood of keys is paced like audio

Send = Callable[[str], Awaitable[None]]
Close = Callable[[str], Awaitable[None]]


@dataclass
class CallStats:
    """Counters over all calls of the process (served on /health, read by tests and the benchmark)."""

    active: int = 0
    total: int = 0
    turns: int = 0
    frames_in: int = 0
    sequence_gaps: int = 0
    bad_frames: int = 0
    barge_ins: int = 0
    confirmations: int = 0
    dtmf_entries: int = 0
    rasa_failures: int = 0
    stored_on_hangup: int = 0
    turns_dropped: int = 0  # waiting turns dropped because the call's queue was full
    frames_throttled: int = 0  # caller frames dropped for arriving faster than real time
    floods: int = 0  # streams closed for sending audio far faster than real time
    time_limited: int = 0  # calls ended at VOICE_MAX_CALL_S

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Turn:
    """One thing the caller said: a transcript being computed, or keypad digits."""

    source: str  # "speech" | "dtmf"
    transcript: asyncio.Future[Transcript] | None = None
    text: str = ""
    ended_at: float = field(default_factory=time.monotonic)  # when the end of the turn was detected
    timing: dict[str, float] = field(default_factory=dict)  # seconds after ended_at, for the log
    speak: bool = True  # False for the utterance of a caller who already hung up


class AudioBuffer:
    """The recent 16 kHz audio, addressable by absolute sample index since the call started."""

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.start = 0
        self.end = 0

    def append(self, pcm: np.ndarray) -> None:
        if pcm.size:
            self.chunks.append(pcm)
            self.end += pcm.size

    def slice(self, start: int, end: int) -> np.ndarray:
        joined = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)
        self.chunks = [joined] if joined.size else []
        return joined[max(start - self.start, 0) : max(end - self.start, 0)].copy()

    def keep_from(self, sample: int) -> None:
        drop = sample - self.start
        if drop <= 0 or not self.chunks:
            return
        joined = np.concatenate(self.chunks)
        self.chunks = [joined[drop:]] if joined.size > drop else []
        self.start = min(sample, self.end)


class Call:
    def __init__(
        self,
        *,
        call_id: str,
        stream_sid: str,
        caller: str,
        audio_format: AudioFormat,
        engines: Engines,
        rasa: RasaClient,
        settings: VoiceSettings,
        stats: CallStats,
        send: Send,
        close_stream: Close,
    ) -> None:
        self.call_id = call_id
        self.stream_sid = stream_sid
        self.caller = caller
        self.format = audio_format
        self.engines = engines
        self.rasa = rasa
        self.settings = settings
        self.stats = stats
        self._send = send
        self._close_stream = close_stream
        self.decoder = InboundDecoder(audio_format)
        self.vad = EndOfSpeechDetector(
            min_silence_ms=settings.end_silence_ms,
            speech_threshold=settings.vad_threshold,
            min_speech_ms=settings.min_speech_ms,
        )
        self.audio = AudioBuffer()
        self.dtmf = DigitCollector(timeout_s=settings.dtmf_timeout_ms / 1000)
        self.turns: BoundedQueue[Turn] = BoundedQueue(settings.max_pending_turns)
        self.pace = AudioPace(settings.audio_speed, settings.audio_burst_s, settings.audio_flood_s)
        self.bytes_per_second = audio_format.bytes_per_frame * 1000 // 20
        self.recognitions: set[asyncio.Future[Transcript]] = set()
        self.missed_turns = False
        self.throttle_logged = False
        self.started_at = time.monotonic()
        self.time_up_at: float | None = None
        self.utterance_start: int | None = None
        self.quiet_samples = 0
        self.speculation: tuple[int, asyncio.Future[Transcript]] | None = None
        self.outstanding_marks: set[str] = set()
        self.mark_ids = itertools.count(1)
        self.speaker: asyncio.Task[None] | None = None
        self.busy = False
        self.pending_confirmation: str | None = None
        self.last_activity = time.monotonic()
        self.no_input_prompts = 0
        self.last_sequence: int | None = None
        self.rasa_requests: set[asyncio.Task[None]] = set()
        self.tasks: list[asyncio.Task[None]] = []
        self.background: set[asyncio.Future[None]] = set()
        self.ending: str | None = None
        self.closed = False
        self.turn_timings: list[dict[str, float]] = []

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.stats.active += 1
        self.stats.total += 1
        self.tasks = [
            asyncio.create_task(self._work(), name=f"voice-{self.call_id}-turns"),
            asyncio.create_task(self._tick(), name=f"voice-{self.call_id}-timers"),
        ]
        if self.settings.agent_poll_s > 0:
            self.tasks.append(asyncio.create_task(self._agent_messages(), name=f"voice-{self.call_id}-agent"))
        logger.info("call %s started (caller %s, %s)", self.call_id, _masked(self.caller), self.format)
        if self.settings.greeting:
            self._start_speaking(self._say([voice_text("greeting")]))

    async def finish(self, reason: str) -> None:
        """The call is over (``stop``, socket closed, hang-up): store what was said, end every task."""
        if self.closed:
            return
        self.closed = True
        try:
            if self.utterance_start is not None:
                await self._store_last_words()
        except Exception:
            logger.exception("call %s: the words said before hanging up were not stored", self.call_id)
        finally:
            running = [*self.tasks, *self.background, *([self.speaker] if self.speaker else [])]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            for job in list(self.recognitions):  # queued turns nobody will answer: out of the shared pool
                job.cancel()
            if self.rasa_requests:
                await asyncio.wait(self.rasa_requests, timeout=self.settings.rasa_timeout_s)
            self.stats.active -= 1
            logger.info("call %s ended (%s)", self.call_id, reason)

    async def _store_last_words(self) -> None:
        """The caller hung up mid-sentence: what they said still belongs in the conversation."""
        assert self.utterance_start is not None
        audio = self.audio.slice(self.utterance_start, self.audio.end)
        if audio.size < MIN_HANGUP_UTTERANCE_S * SAMPLE_RATE:
            return
        transcript = await self._transcribe(audio)
        if transcript.text:
            self.stats.stored_on_hangup += 1
            self._ask_rasa(heard_text(transcript.text), self._metadata(transcript.confidence, hangup=True))

    # ------------------------------------------------------------------ inbound events

    def on_media(self, payload: bytes, sequence: int | None = None) -> None:
        """One frame of caller audio (called for every ``media`` message, on the event loop).

        Audio beyond the real-time pace is dropped before decoding (``pace.flooding`` tells the
        server to end the stream); after the time-limit goodbye the caller is no longer heard."""
        self.stats.frames_in += 1
        if not self.pace.take(len(payload) / self.bytes_per_second):
            self._throttled()
            return
        if self.time_up_at is not None:
            return
        if sequence is not None:
            if self.last_sequence is not None and sequence > self.last_sequence + 1:
                self.stats.sequence_gaps += sequence - self.last_sequence - 1
            self.last_sequence = sequence
        try:
            pcm = self.decoder.decode(payload)
        except AudioError as error:
            self.stats.bad_frames += 1
            logger.warning("call %s: frame dropped: %s", self.call_id, error)
            return
        self.audio.append(pcm)
        for event in self.vad.feed(pcm):
            at = int(event.at_s * SAMPLE_RATE)
            if event.kind == "speech_start":
                self._on_speech_start(at)
            else:
                self._on_speech_end(at)
        self._maybe_speculate(pcm.size)
        if self.utterance_start is None:
            if self.audio.end - self.audio.start > IDLE_AUDIO_S * 2 * SAMPLE_RATE:
                self.audio.keep_from(self.audio.end - int(IDLE_AUDIO_S * SAMPLE_RATE))
        elif (self.audio.end - self.utterance_start) / SAMPLE_RATE >= self.settings.max_utterance_s:
            self._on_speech_end(self.audio.end)  # a monologue is answered in parts
            self.utterance_start = self.audio.end

    def on_mark(self, name: str) -> None:
        """The provider played our audio up to this mark."""
        self.outstanding_marks.discard(name)
        if not self.outstanding_marks:
            self.last_activity = time.monotonic()
            ended = self.ending and not self.busy and self.time_up_at is None  # a time-limit goodbye ends on its mark
            if name == "end-of-call" or ended:
                asyncio.get_running_loop().call_soon(self._end_stream)

    def on_dtmf(self, digit: str) -> None:
        if not self.pace.take(DTMF_PACE_S):
            self._throttled()
            return
        if self.time_up_at is not None:
            return
        self.last_activity = time.monotonic()
        self._barge_in("keypad")
        entry = self.dtmf.press(digit, time.monotonic())
        if entry:
            self._queue_digits(entry)

    def _throttled(self) -> None:
        self.stats.frames_throttled += 1
        if not self.throttle_logged:
            self.throttle_logged = True
            logger.warning("call %s: audio arrives faster than real time; the excess is dropped", self.call_id)

    # ------------------------------------------------------------------ speech detection

    def _on_speech_start(self, at: int) -> None:
        self.utterance_start = max(self.audio.start, at - int(PRE_ROLL_S * SAMPLE_RATE))
        self.quiet_samples = 0
        self.speculation = None
        self.last_activity = time.monotonic()
        self.no_input_prompts = 0
        self._barge_in("speech")

    def _on_speech_end(self, silence_from: int) -> None:
        if self.utterance_start is None:
            return
        end = self._turn_end(silence_from)
        speculation = self.speculation
        if speculation is not None and speculation[0] >= silence_from and self._inaudible(speculation[0], end):
            transcript = speculation[1]
        else:
            if speculation is not None:
                speculation[1].cancel()  # stale: the caller went on after that pause
            transcript = self._transcribe(self.audio.slice(self.utterance_start, end))
        self.utterance_start = None
        self.speculation = None
        self._queue_turn(Turn("speech", transcript=transcript))

    def _turn_end(self, silence_from: int) -> int:
        """Where the turn's audio ends: ``TAIL_S`` after the VAD's silence began, or later if sound
        went on. Silero scores unvoiced sounds low: the "-cept" of a slow espeak-ng "accept" was
        still sounding 0.25 s after the VAD's silence began; cut there, tiny.en heard "What payment
        methods do you accept?" as "What, Haven, Mappins, Blue, Black, Cap?" (confidence 0.2)."""
        end = min(self.audio.end, silence_from + int(TAIL_S * SAMPLE_RATE))
        loud = self._loud_windows(end, self.audio.end)
        if loud.size:
            end = min(self.audio.end, end + (int(loud[-1]) + 1) * AUDIBLE_WINDOW + int(TAIL_PAD_S * SAMPLE_RATE))
        return end

    def _loud_windows(self, start: int, end: int) -> np.ndarray:
        """Indices of the audible 20 ms windows in the call's audio between two samples."""
        audio = self.audio.slice(start, end).astype(np.float32)
        windows = audio[: audio.size // AUDIBLE_WINDOW * AUDIBLE_WINDOW].reshape(-1, AUDIBLE_WINDOW)
        return np.flatnonzero(np.sqrt((windows**2).mean(axis=1)) >= AUDIBLE_RMS)

    def _inaudible(self, start: int, end: int) -> bool:
        """Nothing to hear between the early guess's end and the turn's end: the guess heard it all."""
        return self._loud_windows(start, end).size == 0

    def _maybe_speculate(self, samples: int) -> None:
        """Start recognising after a short pause: if the pause becomes the end of the turn, time is won."""
        if self.utterance_start is None or self.settings.speculate_ms <= 0:
            return
        if self.vad.last_probability >= self.vad.silence_threshold:
            self.quiet_samples = 0
            if self.speculation is not None:  # anything but silence: the caller may go on, that guess is stale
                self.speculation[1].cancel()
                self.speculation = None
            return
        self.quiet_samples += samples
        if (
            self.speculation is None
            and not self.recognitions  # at most one recognition per call in the pool: a guess is optional work
            and self.quiet_samples >= self.settings.speculate_ms * SAMPLE_RATE // 1000
        ):
            end = self.audio.end
            guess = self._transcribe(self.audio.slice(self.utterance_start, end))
            guess.add_done_callback(_retrieve)
            self.speculation = (end, guess)

    def _transcribe(self, audio: np.ndarray) -> asyncio.Future[Transcript]:
        """Recognition in the shared pool, tracked so a call never has more than its bound queued there
        (cancelling the future takes a job that has not started out of the pool's queue)."""
        job = asyncio.ensure_future(self.engines.transcribe(audio))
        self.recognitions.add(job)
        job.add_done_callback(self.recognitions.discard)
        return job

    # ------------------------------------------------------------------ turns

    def _queue_digits(self, digits: str) -> None:
        self.stats.dtmf_entries += 1
        self._queue_turn(Turn("dtmf", text=digits))

    def _queue_turn(self, turn: Turn) -> None:
        """Queues a turn; when ``max_pending_turns`` already wait, the oldest are dropped (their
        recognition cancelled) and the caller is told before the next answer."""
        dropped = self.turns.put_nowait(turn)
        for old in dropped:
            if old.transcript is not None:
                old.transcript.cancel()
        if dropped:
            self.stats.turns_dropped += len(dropped)
            self.missed_turns = True
            logger.warning(
                "call %s: %d waiting turn(s) dropped: more than %d turns waited for an answer",
                self.call_id,
                len(dropped),
                self.settings.max_pending_turns,
            )

    async def _work(self) -> None:
        """Turns are answered one at a time, in the order the caller said them."""
        while True:
            turn = await self.turns.get()
            if self.time_up_at is not None:
                continue  # the goodbye is being said: nothing more is answered
            self.busy = True
            try:
                if self.missed_turns:
                    self.missed_turns = False
                    await self._say_now([voice_text("missed_turns")])
                await self._answer(turn)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("call %s: a turn failed", self.call_id)
                self._start_speaking(self._say([voice_text("assistant_error")]))
            finally:
                self.busy = False
                self.last_activity = time.monotonic()

    async def _answer(self, turn: Turn) -> None:
        self.stats.turns += 1
        if turn.source == "dtmf":
            await self._respond(turn.text, self._metadata(1.0, input_mode="dtmf"), turn)
            return
        assert turn.transcript is not None
        transcript = await turn.transcript
        turn.timing["transcript_s"] = time.monotonic() - turn.ended_at
        heard = heard_text(transcript.text)
        # What the caller said is personal data: its length at INFO, the words only at DEBUG.
        logger.info("call %s heard %d characters (confidence %.2f)", self.call_id, len(heard), transcript.confidence)
        logger.debug("call %s heard %r", self.call_id, heard)
        if not heard:
            self._start_speaking(self._say([voice_text("not_understood")]))
            return
        if self.pending_confirmation is not None:
            pending, self.pending_confirmation = self.pending_confirmation, None
            answer = yes_or_no(heard)
            if answer is True:
                await self._respond(pending, self._metadata(transcript.confidence, confirmed=True), turn)
                return
            if answer is False:
                self._start_speaking(self._say([voice_text("say_again")]))
                return
        if transcript.confidence < self.settings.confirm_below and yes_or_no(heard) is None:
            self.stats.confirmations += 1
            self.pending_confirmation = heard
            self._start_speaking(self._say([confirmation_question(heard)]))
            return
        await self._respond(heard, self._metadata(transcript.confidence), turn)

    def _metadata(self, confidence: float, **extra: Any) -> dict[str, Any]:
        return {"caller": self.caller, "asr_confidence": round(float(confidence), 3), **extra}

    def _ask_rasa(
        self, text: str, metadata: dict[str, Any]
    ) -> tuple[asyncio.Queue[dict[str, Any] | None], asyncio.Task[None]]:
        """Sends the turn; Rasa's messages arrive on the queue (None: done). Not cancelled by barge-in
        or hang-up, so what the caller said is always stored in the conversation."""
        replies: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        async def request() -> None:
            try:
                async for message in self.rasa.turn(self.call_id, text, metadata):
                    replies.put_nowait(message)
            except RasaUnavailable as error:
                self.stats.rasa_failures += 1
                logger.error("call %s: %s", self.call_id, error)
                replies.put_nowait({"text": voice_text("assistant_error")})
            finally:
                replies.put_nowait(None)

        task = asyncio.create_task(request(), name=f"voice-{self.call_id}-rasa")
        self.rasa_requests.add(task)
        task.add_done_callback(self.rasa_requests.discard)
        return replies, task

    async def _respond(self, text: str, metadata: dict[str, Any], turn: Turn) -> None:
        replies, request = self._ask_rasa(text, metadata)
        self._start_speaking(self._speak_replies(replies, turn))
        speaker = self.speaker
        assert speaker is not None
        await asyncio.wait({speaker})  # returns on barge-in too (the speaker is cancelled, not this task)
        # The next turn waits for Rasa to finish this one, so the conversation stays in order.
        await asyncio.wait({request})

    # ------------------------------------------------------------------ speaking

    def _start_speaking(self, speech: Coroutine[Any, Any, None], *, final: bool = False) -> None:
        """Replaces whatever is being said; nothing replaces the time-limit goodbye (``final``)."""
        if self.time_up_at is not None and not final:
            speech.close()
            return
        if self.speaker is not None and not self.speaker.done():
            self.speaker.cancel()
        self.speaker = asyncio.ensure_future(speech)

    async def _say_now(self, texts: list[str]) -> None:
        """Says the texts and returns when they were sent (or cut off by barge-in)."""
        self._start_speaking(self._say(texts))
        if self.speaker is not None:
            await asyncio.wait({self.speaker})

    def _barge_in(self, why: str) -> None:
        if self.time_up_at is not None:
            return
        speaking = self.speaker is not None and not self.speaker.done()
        if not (speaking or self.outstanding_marks):
            return
        if self.speaker is not None:
            self.speaker.cancel()
        self.outstanding_marks.clear()
        self.stats.barge_ins += 1
        logger.info("call %s: barge-in (%s): playback cleared", self.call_id, why)
        self._send_nowait(clear_message(self.stream_sid))

    async def _say(self, texts: list[str]) -> None:
        for text in texts:
            for part in sentences(text, first_max_chars=FIRST_SENTENCE_CHARS):
                await self._play(part)

    async def _speak_replies(self, replies: asyncio.Queue[dict[str, Any] | None], turn: Turn) -> None:
        first = True
        timing = turn.timing
        while (message := await replies.get()) is not None:
            timing.setdefault("rasa_s", time.monotonic() - turn.ended_at)
            custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
            for part in sentences(spoken_reply(message), first_max_chars=FIRST_SENTENCE_CHARS if first else 0):
                await self._play(part)
                if first:
                    timing["first_audio_s"] = time.monotonic() - turn.ended_at
                    self.turn_timings.append(timing)
                    logger.info(
                        "call %s: after the end of the turn: %s",
                        self.call_id,
                        ", ".join(f"{k} {v:.2f}" for k, v in timing.items()),
                    )
                    first = False
            if custom.get("handoff") or custom.get("end_call"):
                # Ending the stream hands the call back to the provider: TwiML continues with the next
                # verb after <Connect><Stream> (e.g. <Dial> to the support line). See docs/voice.md.
                self.ending = "handoff" if custom.get("handoff") else "end_call"
                self._send_nowait(mark_message(self.stream_sid, "end-of-call"))
                self.outstanding_marks.add("end-of-call")

    async def _play(self, text: str) -> None:
        speech = await self.engines.synthesize(text)
        if speech.pcm.size == 0:
            return
        frames = encode_reply(speech.pcm, speech.sample_rate, self.format)
        for frame in frames:
            await self._send(media_message(self.stream_sid, frame))
        name = f"say-{next(self.mark_ids)}"
        self.outstanding_marks.add(name)
        await self._send(mark_message(self.stream_sid, name))

    def _background(self, work: Awaitable[None]) -> None:
        """Fire and forget, but keep a reference (the loop holds tasks weakly) and see the outcome."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        task.add_done_callback(_retrieve)

    def _send_nowait(self, message: str) -> None:
        self._background(self._send(message))

    def _end_stream(self) -> None:
        if not self.closed:
            self._background(self._close_stream(self.ending or "done"))

    # ------------------------------------------------------------------ timers

    async def _tick(self) -> None:
        """Keypad entries that ended with a pause, and the 'are you still there?' prompt."""
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            if self._time_limit(now):
                continue
            entry = self.dtmf.due(now)
            if entry:
                self._queue_digits(entry)
            idle = (
                self.utterance_start is None
                and not self.busy
                and self.turns.empty()
                and not self.dtmf.pending
                and not self.outstanding_marks
                and (self.speaker is None or self.speaker.done())
            )
            if not idle or self.settings.no_input_s <= 0 or now - self.last_activity < self.settings.no_input_s:
                continue
            self.last_activity = now
            self.no_input_prompts += 1
            if self.no_input_prompts > MAX_NO_INPUT_PROMPTS:
                self.ending = "no_input"
                self._start_speaking(self._say_and_end(voice_text("goodbye")))
            else:
                self._start_speaking(self._say([voice_text("no_input")]))

    def _time_limit(self, now: float) -> bool:
        """At ``max_call_s`` the caller hears a goodbye and the stream ends once it has played (or,
        if the caller never confirms playback, ``GOODBYE_GRACE_S`` later). True once time is up."""
        limit = self.settings.max_call_s
        if not limit or now - self.started_at < limit:
            return False
        if self.time_up_at is None:
            self.time_up_at = now
            self.ending = "time_limit"
            self.stats.time_limited += 1
            logger.info("call %s reached the maximum call length of %.0f s", self.call_id, limit)
            self.outstanding_marks.clear()
            self._send_nowait(clear_message(self.stream_sid))
            self._start_speaking(self._say_and_end(voice_text("time_limit")), final=True)
        elif now - self.time_up_at > GOODBYE_GRACE_S:
            self._end_stream()
            self.time_up_at = float("inf")  # closed once
        return True

    async def _agent_messages(self) -> None:
        """During a hand-off a person answers through the desk; their messages are spoken on the call."""
        since = time.time()
        conversation = f"voice-{self.call_id}"
        while True:
            await asyncio.sleep(self.settings.agent_poll_s)
            if self.busy or self.utterance_start is not None or (self.speaker and not self.speaker.done()):
                continue  # not while the caller talks or a reply plays; asked again next time
            messages = await self.rasa.agent_messages(conversation, since)
            texts = [str(m.get("text") or "") for m in messages if m.get("text")]
            if messages:
                since = max(float(m.get("timestamp") or since) for m in messages)
            if texts:
                logger.info("call %s: speaking %d message(s) of a human agent", self.call_id, len(texts))
                self.last_activity = time.monotonic()
                self._start_speaking(self._say([spoken_reply({"text": text}) for text in texts]))

    async def _say_and_end(self, text: str) -> None:
        await self._say([text])
        self.outstanding_marks.add("end-of-call")
        await self._send(mark_message(self.stream_sid, "end-of-call"))

    def snapshot(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "turns": len(self.turn_timings), "pending_rasa": len(self.rasa_requests)}


def _masked(caller: str) -> str:
    """A caller's number is personal data: the log keeps its last two digits."""
    digits = sum(ch.isdigit() for ch in caller)
    return f"…{caller[-2:]}" if digits >= 5 else (caller or "unknown")


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Marks a background task's exception as seen (it was logged where it mattered)."""
    if not task.cancelled():
        task.exception()
