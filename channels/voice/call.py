"""One phone call: caller frames in, turns to Rasa, spoken replies out, barge-in, keypad, hang-up.

The call wires small processors (processors/) to the services (services/) and never names a
telephony provider: the transport (transports/websocket.py) feeds it frames (frames.py), and
everything said leaves as messages built by the stream's serializer (serializers/). Flow of a turn:

1. Every 20 ms frame is paced and decoded to 16 kHz (audio_input.py) and fed to the turn detector
   (turn_detector.py: streaming VAD, recognition started early after a short pause).
2. The finished turn (a transcript, or keypad digits from dtmf.py) waits in the call's bounded queue;
   turns are answered one at a time, in order. A turn heard with low confidence is confirmed first
   (confirmation.py: "Did you say order one zero four...?").
3. The text goes to Rasa (dialogue.py); each bot message is rewritten for the ear (spoken.py) and
   spoken sentence by sentence (playback.py), each sentence followed by a mark the provider echoes
   once it has played.
4. When the caller starts speaking or presses a key while a reply is being synthesised or played,
   the reply is cut and the provider's buffer cleared (barge-in).

Timers add the "are you still there?" prompt (idle.py), the maximum call length (time_limit.py) and
a human agent's messages during a hand-off (agent_relay.py). When the call ends, an utterance in
progress is still transcribed and stored in the conversation, the Rasa requests in flight finish
(bounded by the Rasa timeout), and every task is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from channels.voice.audio_format import AudioFormat
from channels.voice.background import Background
from channels.voice.frames import AudioFrame
from channels.voice.limits import AudioPace, BoundedQueue
from channels.voice.processors.agent_relay import relay_agent_messages
from channels.voice.processors.audio_input import AudioInput
from channels.voice.processors.confirmation import Confirmation
from channels.voice.processors.dialogue import Conversation
from channels.voice.processors.dtmf import DigitCollector
from channels.voice.processors.idle import NoInputPrompts
from channels.voice.processors.playback import END_OF_CALL, FIRST_SENTENCE_CHARS, Playback, Send
from channels.voice.processors.time_limit import TimeLimit
from channels.voice.processors.turn_detector import TurnDetector
from channels.voice.serializers.base import FrameSerializer
from channels.voice.services.dialogue import RasaClient
from channels.voice.services.speech import Engines
from channels.voice.settings import VoiceSettings
from channels.voice.spoken import heard_text, sentences, spoken_reply
from channels.voice.stats import CallStats
from channels.voice.texts import voice_text
from speech.recognition import Transcript

logger = logging.getLogger(__name__)

TICK_S = 0.1
DTMF_PACE_S = 0.05  # a key press costs this much of the audio pace: a flood of keys is paced like audio

Close = Callable[[str], Awaitable[None]]


@dataclass
class Turn:
    """One thing the caller said: a transcript being computed, or keypad digits."""

    source: str  # "speech" | "dtmf"
    transcript: asyncio.Future[Transcript] | None = None
    text: str = ""
    ended_at: float = field(default_factory=time.monotonic)  # when the end of the turn was detected
    timing: dict[str, float] = field(default_factory=dict)  # seconds after ended_at, for the log
    speak: bool = True  # False for the utterance of a caller who already hung up


class Call:
    def __init__(
        self,
        *,
        call_id: str,
        caller: str,
        audio_format: AudioFormat,
        engines: Engines,
        rasa: RasaClient,
        settings: VoiceSettings,
        stats: CallStats,
        serializer: FrameSerializer,
        send: Send,
        close_stream: Close,
    ) -> None:
        self.call_id = call_id
        self.caller = caller
        self.format = audio_format
        self.engines = engines
        self.rasa = rasa
        self.settings = settings
        self.stats = stats
        self._close_stream = close_stream
        self.turn_detector = TurnDetector(settings, engines, self._on_speech_start, self._on_speech_turn)
        self.dtmf = DigitCollector(timeout_s=settings.dtmf_timeout_ms / 1000)
        self.turns: BoundedQueue[Turn] = BoundedQueue(settings.max_pending_turns)
        self.pace = AudioPace(settings.audio_speed, settings.audio_burst_s, settings.audio_flood_s)
        self.audio_input = AudioInput(call_id, audio_format, self.pace, stats)
        self.missed_turns = False
        self.time_limit = TimeLimit(settings.max_call_s, started_at=time.monotonic())
        self.busy = False
        self.confirmation = Confirmation(settings.confirm_below)
        self.no_input = NoInputPrompts(settings.no_input_s, last_activity=time.monotonic())
        self.conversation = Conversation(rasa, call_id, caller, self._count_rasa_failure)
        self.tasks: list[asyncio.Task[None]] = []
        self.background = Background()
        self.playback = Playback(engines, audio_format, serializer, send, self.background)
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
            agent = relay_agent_messages(
                self.rasa,
                f"voice-{self.call_id}",
                self.settings.agent_poll_s,
                self._may_speak_agent_messages,
                self._speak_agent_messages,
            )
            self.tasks.append(asyncio.create_task(agent, name=f"voice-{self.call_id}-agent"))
        logger.info("call %s started (caller %s, %s)", self.call_id, _masked(self.caller), self.format)
        if self.settings.greeting:
            self._start_speaking(self.playback.say([voice_text("greeting")]))

    async def finish(self, reason: str) -> None:
        """The call is over (``stop``, socket closed, hang-up): store what was said, end every task."""
        if self.closed:
            return
        self.closed = True
        try:
            await self._store_last_words()
        except Exception:
            logger.exception("call %s: the words said before hanging up were not stored", self.call_id)
        finally:
            speaker = self.playback.speaker
            running = [*self.tasks, *self.background.tasks, *([speaker] if speaker else [])]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            self.turn_detector.cancel_recognitions()
            await self.conversation.finish(self.settings.rasa_timeout_s)
            self.stats.active -= 1
            logger.info("call %s ended (%s)", self.call_id, reason)

    async def _store_last_words(self) -> None:
        """The caller hung up mid-sentence: what they said still belongs in the conversation."""
        audio = self.turn_detector.unfinished_utterance()
        if audio is None:
            return
        transcript = await self.turn_detector.transcribe(audio)
        if transcript.text:
            self.stats.stored_on_hangup += 1
            self.conversation.ask(
                heard_text(transcript.text), self.conversation.metadata(transcript.confidence, hangup=True)
            )

    # ------------------------------------------------------------------ inbound events

    def on_audio(self, frame: AudioFrame) -> None:
        """One frame of caller audio (called for every AudioFrame, on the event loop).

        Audio beyond the real-time pace is dropped before decoding (``pace.flooding`` tells the
        server to end the stream); after the time-limit goodbye the caller is no longer heard."""
        pcm = self.audio_input.decode(frame, heard=not self.time_limit.reached)
        if pcm is not None:
            self.turn_detector.feed(pcm)

    def flooded(self) -> bool:
        """True when audio came so much faster than real time that the stream is closed (counted)."""
        if self.pace.flooding:
            self.stats.floods += 1
        return self.pace.flooding

    def on_mark(self, name: str) -> None:
        """The provider played our audio up to this mark."""
        if self.playback.played(name):
            self.no_input.touch(time.monotonic())
            # A time-limit goodbye ends on its own end-of-call mark, not on the last sentence's.
            ended = self.ending and not self.busy and not self.time_limit.reached
            if name == END_OF_CALL or ended:
                asyncio.get_running_loop().call_soon(self._end_stream)

    def on_dtmf(self, digit: str) -> None:
        if not self.audio_input.admit(DTMF_PACE_S):
            return
        if self.time_limit.reached:
            return
        self.no_input.touch(time.monotonic())
        self._barge_in("keypad")
        entry = self.dtmf.press(digit, time.monotonic())
        if entry:
            self._queue_digits(entry)

    def _count_rasa_failure(self) -> None:
        self.stats.rasa_failures += 1

    def _on_speech_start(self) -> None:
        self.no_input.heard(time.monotonic())
        self._barge_in("speech")

    def _on_speech_turn(self, transcript: asyncio.Future[Transcript]) -> None:
        self._queue_turn(Turn("speech", transcript=transcript))

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
            if self.time_limit.reached:
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
                self._start_speaking(self.playback.say([voice_text("assistant_error")]))
            finally:
                self.busy = False
                self.no_input.touch(time.monotonic())

    async def _answer(self, turn: Turn) -> None:
        self.stats.turns += 1
        if turn.source == "dtmf":
            await self._respond(turn.text, self.conversation.metadata(1.0, input_mode="dtmf"), turn)
            return
        assert turn.transcript is not None
        transcript = await turn.transcript
        turn.timing["transcript_s"] = time.monotonic() - turn.ended_at
        heard = heard_text(transcript.text)
        # What the caller said is personal data: its length at INFO, the words only at DEBUG.
        logger.info("call %s heard %d characters (confidence %.2f)", self.call_id, len(heard), transcript.confidence)
        logger.debug("call %s heard %r", self.call_id, heard)
        if not heard:
            self._start_speaking(self.playback.say([voice_text("not_understood")]))
            return
        verdict = self.confirmation.judge(heard, transcript.confidence)
        if verdict.action == "ask":
            self.stats.confirmations += 1
            self._start_speaking(self.playback.say([verdict.text]))
        elif verdict.action == "say_again":
            self._start_speaking(self.playback.say([voice_text("say_again")]))
        elif verdict.confirmed:
            await self._respond(verdict.text, self.conversation.metadata(transcript.confidence, confirmed=True), turn)
        else:
            await self._respond(verdict.text, self.conversation.metadata(transcript.confidence), turn)

    async def _respond(self, text: str, metadata: dict[str, Any], turn: Turn) -> None:
        replies, request = self.conversation.ask(text, metadata)
        self._start_speaking(self._speak_replies(replies, turn))
        await self.playback.wait()  # returns on barge-in too (the speaker is cancelled, not this task)
        # The next turn waits for Rasa to finish this one, so the conversation stays in order.
        await asyncio.wait({request})

    # ------------------------------------------------------------------ speaking

    def _start_speaking(self, speech: Coroutine[Any, Any, None], *, final: bool = False) -> None:
        """Replaces whatever is being said; nothing replaces the time-limit goodbye (``final``)."""
        if self.time_limit.reached and not final:
            speech.close()
            return
        self.playback.start(speech)

    async def _say_now(self, texts: list[str]) -> None:
        """Says the texts and returns when they were sent (or cut off by barge-in)."""
        self._start_speaking(self.playback.say(texts))
        await self.playback.wait()

    def _barge_in(self, why: str) -> None:
        if self.time_limit.reached:
            return
        if self.playback.cut():
            self.stats.barge_ins += 1
            logger.info("call %s: barge-in (%s): playback cleared", self.call_id, why)

    async def _speak_replies(self, replies: asyncio.Queue[dict[str, Any] | None], turn: Turn) -> None:
        first = True
        timing = turn.timing
        while (message := await replies.get()) is not None:
            timing.setdefault("rasa_s", time.monotonic() - turn.ended_at)
            custom: dict[str, Any] = message["custom"] if isinstance(message.get("custom"), dict) else {}
            for part in sentences(spoken_reply(message), first_max_chars=FIRST_SENTENCE_CHARS if first else 0):
                await self.playback.play(part)
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
                self.playback.end_after_nowait()

    def _end_stream(self) -> None:
        if not self.closed:
            self.background.run(self._close_stream(self.ending or "done"))

    # ------------------------------------------------------------------ timers

    async def _tick(self) -> None:
        """Keypad entries that ended with a pause, and the 'are you still there?' prompt."""
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            if self._check_time_limit(now):
                continue
            entry = self.dtmf.due(now)
            if entry:
                self._queue_digits(entry)
            idle = (
                not self.turn_detector.in_speech
                and not self.busy
                and self.turns.empty()
                and not self.dtmf.pending
                and not self.playback.playing
            )
            prompt = self.no_input.due(now, idle)
            if prompt == "goodbye":
                self.ending = "no_input"
                self._start_speaking(self._say_and_end(voice_text("goodbye")))
            elif prompt == "prompt":
                self._start_speaking(self.playback.say([voice_text("no_input")]))

    def _check_time_limit(self, now: float) -> bool:
        """At the limit the caller hears a goodbye; the stream ends once it has played, or after a grace
        period (processors/time_limit.py). True once time is up."""
        state = self.time_limit.check(now)
        if state == "reached":
            self.ending = "time_limit"
            self.stats.time_limited += 1
            logger.info("call %s reached the maximum call length of %.0f s", self.call_id, self.settings.max_call_s)
            self.playback.clear()
            self._start_speaking(self._say_and_end(voice_text("time_limit")), final=True)
        elif state == "grace_over":
            self._end_stream()
        return state != "running"

    def _may_speak_agent_messages(self) -> bool:
        return not (self.busy or self.turn_detector.in_speech or self.playback.speaking)

    def _speak_agent_messages(self, texts: list[str]) -> None:
        logger.info("call %s: speaking %d message(s) of a human agent", self.call_id, len(texts))
        self.no_input.touch(time.monotonic())
        self._start_speaking(self.playback.say([spoken_reply({"text": text}) for text in texts]))

    async def _say_and_end(self, text: str) -> None:
        await self.playback.say([text])
        await self.playback.end_after()

    def snapshot(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "turns": len(self.turn_timings),
            "pending_rasa": len(self.conversation.requests),
        }


def _masked(caller: str) -> str:
    """A caller's number is personal data: the log keeps its last two digits."""
    digits = sum(ch.isdigit() for ch in caller)
    return f"…{caller[-2:]}" if digits >= 5 else (caller or "unknown")
