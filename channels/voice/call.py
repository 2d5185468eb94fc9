"""One call's pipeline: the processors (processors/) wired to the services (services/) and the stream.

The transport (transports/websocket.py) feeds frames (frames.py) in; what is said leaves as messages
built by the stream's serializer (serializers/): the call never names a telephony provider.
``AudioFrame`` → audio_input.py → turn_detector.py, ``DtmfFrame`` → dtmf.py; a speech start or a key
cuts what is being said (barge-in) and each finished turn goes to turn_answerer.py as a ``TurnFrame``.
``MarkFrame`` → playback.py → hang_up.py. Timers: keypad pauses, "are you still there?" (idle.py),
the call length (hang_up.py), a human agent's messages (agent_relay.py). At the end, words said while
hanging up are still stored, Rasa requests in flight finish and every task is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.voice.audio_format import AudioFormat
from channels.voice.background import Background
from channels.voice.frames import AudioFrame, TurnFrame
from channels.voice.limits import AudioPace
from channels.voice.processors.agent_relay import relay_agent_messages
from channels.voice.processors.audio_input import AudioInput
from channels.voice.processors.confirmation import Confirmation
from channels.voice.processors.dialogue import Conversation
from channels.voice.processors.dtmf import DigitCollector
from channels.voice.processors.hang_up import CloseStream, HangUp
from channels.voice.processors.idle import NoInputPrompts
from channels.voice.processors.playback import Playback, Send
from channels.voice.processors.time_limit import TimeLimit
from channels.voice.processors.turn_answerer import TurnAnswerer
from channels.voice.processors.turn_detector import TurnDetector
from channels.voice.serializers.base import FrameSerializer
from channels.voice.services.dialogue import RasaClient
from channels.voice.services.speech import Engines
from channels.voice.settings import VoiceSettings
from channels.voice.spoken import heard_text, keypad_choices, spoken_reply
from channels.voice.stats import CallStats
from channels.voice.texts import voice_text
from speech.recognition import Transcript

logger = logging.getLogger(__name__)

TICK_S = 0.1
DTMF_PACE_S = 0.05  # a key press costs this much of the audio pace: a flood of keys is paced like audio


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
        close_stream: CloseStream,
    ) -> None:
        self.call_id = call_id
        self.caller = caller
        self.format = audio_format
        self.rasa = rasa
        self.settings = settings
        self.stats = stats
        now = time.monotonic()
        self.pace = AudioPace(settings.audio_speed, settings.audio_burst_s, settings.audio_flood_s)
        self.audio_input = AudioInput(call_id, audio_format, self.pace, stats)
        self.turn_detector = TurnDetector(settings, engines, self._on_speech_start, self._on_speech_turn)
        self.dtmf = DigitCollector(timeout_s=settings.dtmf_timeout_ms / 1000)
        self.no_input = NoInputPrompts(settings.no_input_s, last_activity=now)
        self.background = Background()
        self.playback = Playback(engines, audio_format, serializer, send, self.background)
        self.conversation = Conversation(rasa, call_id, caller, self._count_rasa_failure)
        self.hang_up = HangUp(
            call_id=call_id,
            playback=self.playback,
            time_limit=TimeLimit(settings.max_call_s, started_at=now),
            stats=stats,
            close_stream=close_stream,
            background=self.background,
        )
        self.answerer = TurnAnswerer(
            call_id=call_id,
            conversation=self.conversation,
            confirmation=Confirmation(settings.confirm_below),
            playback=self.playback,
            stats=stats,
            max_pending=settings.max_pending_turns,
            on_answered=lambda: self.no_input.touch(time.monotonic()),
            on_last_reply=self.hang_up.after_playback,
        )
        self.tasks: list[asyncio.Task[None]] = []

    @property
    def ending(self) -> str | None:
        """Why the gateway ends the call, once it decided to (the transport reports it)."""
        return self.hang_up.reason

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.stats.active += 1
        self.stats.total += 1
        self.tasks = [
            asyncio.create_task(self.answerer.run(), name=f"voice-{self.call_id}-turns"),
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
            self.playback.start(self.playback.say([voice_text("greeting")]))

    async def finish(self, reason: str) -> None:
        """The call is over (``stop``, socket closed, hang-up): store what was said, end every task."""
        if self.hang_up.call_over:
            return
        self.hang_up.call_over = True
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

    # ------------------------------------------------------------------ frames from the transport

    def on_audio(self, frame: AudioFrame) -> None:
        """One frame of caller audio (called for every AudioFrame, on the event loop).

        Audio beyond the real-time pace is dropped before decoding (``pace.flooding`` tells the
        server to end the stream); after the time-limit goodbye the caller is no longer heard."""
        pcm = self.audio_input.decode(frame, heard=not self.hang_up.time_up)
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
            self.hang_up.played(name, answering=self.answerer.busy)

    def on_dtmf(self, digit: str) -> None:
        if not self.audio_input.admit(DTMF_PACE_S) or self.hang_up.time_up:
            return
        self.no_input.touch(time.monotonic())
        self._barge_in("keypad")
        choice = None if self.dtmf.pending else self.answerer.keypad.get(digit)
        if choice is not None:
            # Right after digit buttons (the rating question) one key is the answer: its button's
            # payload is sent, without waiting for '#' or the keypad pause.
            self.answerer.keypad = {}
            self.answerer.push(TurnFrame("dtmf", text=choice))
            return
        entry = self.dtmf.press(digit, time.monotonic())
        if entry:
            self.answerer.push(TurnFrame("dtmf", text=entry))

    # ------------------------------------------------------------------ processor callbacks

    def _count_rasa_failure(self) -> None:
        self.stats.rasa_failures += 1

    def _on_speech_start(self) -> None:
        self.no_input.heard(time.monotonic())
        self._barge_in("speech")

    def _on_speech_turn(self, transcript: asyncio.Future[Transcript]) -> None:
        self.answerer.push(TurnFrame("speech", transcript=transcript))

    def _barge_in(self, why: str) -> None:
        if self.playback.cut():
            self.stats.barge_ins += 1
            logger.info("call %s: barge-in (%s): playback cleared", self.call_id, why)

    def _may_speak_agent_messages(self) -> bool:
        return not (self.answerer.busy or self.turn_detector.in_speech or self.playback.speaking)

    def _speak_agent_messages(self, messages: list[dict[str, Any]]) -> None:
        """An agent's replies, or the hand-back's rating question: its digit buttons are read out ("Press a
        key from 1 to 5") and a key pressed next answers at once, as after the bot's own question."""
        logger.info("call %s: speaking %d message(s) of a human agent", self.call_id, len(messages))
        self.no_input.touch(time.monotonic())
        self.answerer.keypad = keypad_choices(messages[-1])
        self.playback.start(self.playback.say([spoken_reply(message) for message in messages]))

    # ------------------------------------------------------------------ timers

    async def _tick(self) -> None:
        """The maximum call length, keypad entries that ended with a pause, 'are you still there?'."""
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            if self.hang_up.check_time_limit(now):
                continue
            entry = self.dtmf.due(now)
            if entry:
                self.answerer.push(TurnFrame("dtmf", text=entry))
            quiet = not (self.turn_detector.in_speech or self.dtmf.pending or self.playback.playing)
            prompt = self.no_input.due(now, quiet and self.answerer.idle)
            if prompt == "goodbye":
                self.hang_up.say_goodbye("no_input", voice_text("goodbye"))
            elif prompt == "prompt":
                self.playback.start(self.playback.say([voice_text("no_input")]))


def _masked(caller: str) -> str:
    """A caller's number is personal data: the log keeps its last two digits."""
    digits = sum(ch.isdigit() for ch in caller)
    return f"…{caller[-2:]}" if digits >= 5 else (caller or "unknown")
