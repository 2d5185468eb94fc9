"""The caller's turns (``TurnFrame``: a transcript being computed, or keypad digits) answered one at a
time, in the order they were said.

Turns wait in a bounded queue (limits.py): when ``VOICE_MAX_PENDING_TURNS`` already wait, the oldest
waiting turn is dropped (its recognition cancelled) and the caller hears so before the next answer.
A turn heard with low confidence is confirmed first (confirmation.py); the text goes to Rasa
(dialogue.py), each bot message is rewritten for the ear (spoken.py) and spoken sentence by sentence
(playback.py). The next turn waits until Rasa has finished this one, even after barge-in, so the
conversation stays in order. A bot message asking for a hand-off or the end of the call ends the
stream once everything said has played (``on_last_reply``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from channels.voice.frames import TurnFrame
from channels.voice.limits import BoundedQueue
from channels.voice.metrics import VOICE_TURNS
from channels.voice.processors.confirmation import Confirmation
from channels.voice.processors.dialogue import Conversation, Replies
from channels.voice.processors.playback import FIRST_SENTENCE_CHARS, Playback
from channels.voice.spoken import heard_text, keypad_choices, sentences, spoken_reply
from channels.voice.stats import CallStats
from channels.voice.texts import voice_text
from contracts.request_ids import end_request_id, new_request_id, use_request_id

logger = logging.getLogger(__name__)

ENDING_PAYLOADS = ("handoff", "end_call")  # custom payloads of a bot message that end the stream after it


class TurnAnswerer:
    def __init__(
        self,
        *,
        call_id: str,
        conversation: Conversation,
        confirmation: Confirmation,
        playback: Playback,
        stats: CallStats,
        max_pending: int,
        on_answered: Callable[[], None],
        on_last_reply: Callable[[str], None],
    ) -> None:
        self.call_id = call_id
        self.conversation = conversation
        self.confirmation = confirmation
        self.playback = playback
        self.stats = stats
        self.turns: BoundedQueue[TurnFrame] = BoundedQueue(max_pending)
        self._on_answered = on_answered  # a turn was answered: the quiet before "are you still there?" restarts
        self._on_last_reply = on_last_reply  # a bot message ended the conversation ("handoff" / "end_call")
        self.busy = False
        self.missed_turns = False
        # Key → payload of the last reply's digit buttons (the rating question): a key pressed next is
        # that button, at once (call.py); any other turn clears it.
        self.keypad: dict[str, str] = {}

    @property
    def idle(self) -> bool:
        """No turn is being answered or waits for an answer."""
        return not self.busy and self.turns.empty()

    def push(self, turn: TurnFrame) -> None:
        """Queues a turn; a full queue drops its oldest waiting turns and the caller is told."""
        if turn.source == "dtmf":
            self.stats.dtmf_entries += 1
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
                self.turns.maxsize,
            )

    async def run(self) -> None:
        """Runs for the whole call; after the last words (the time limit) nothing more is answered."""
        while True:
            turn = await self.turns.get()
            if self.playback.last_words:
                continue
            self.busy = True
            # One request id per caller turn: the gateway's, Rasa's, the action server's and the
            # backends' log lines of this turn carry it (contracts/request_ids.py).
            request_id = use_request_id(new_request_id())
            try:
                if self.missed_turns:
                    self.missed_turns = False
                    self.playback.start(self.playback.say([voice_text("missed_turns")]))
                    await self.playback.wait()
                await self._answer(turn)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("call %s: a turn failed", self.call_id)
                self.playback.start(self.playback.say([voice_text("assistant_error")]))
            finally:
                end_request_id(request_id)
                self.busy = False
                self._on_answered()

    async def _answer(self, turn: TurnFrame) -> None:
        self.stats.turns += 1
        self.keypad = {}
        VOICE_TURNS.labels(turn.source).inc()
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
            self.playback.start(self.playback.say([voice_text("not_understood")]))
            return
        verdict = self.confirmation.judge(heard, transcript.confidence)
        if verdict.action == "ask":
            self.stats.confirmations += 1
            self.playback.start(self.playback.say([verdict.text]))
        elif verdict.action == "say_again":
            self.playback.start(self.playback.say([voice_text("say_again")]))
        elif verdict.confirmed:
            await self._respond(verdict.text, self.conversation.metadata(transcript.confidence, confirmed=True), turn)
        else:
            await self._respond(verdict.text, self.conversation.metadata(transcript.confidence), turn)

    async def _respond(self, text: str, metadata: dict[str, Any], turn: TurnFrame) -> None:
        replies, request = self.conversation.ask(text, metadata)
        self.playback.start(self._speak(replies, turn))
        await self.playback.wait()  # returns on barge-in too (the speaker is cancelled, not this task)
        await asyncio.wait({request})

    async def _speak(self, replies: Replies, turn: TurnFrame) -> None:
        """Each bot message as Rasa sends it; a long first sentence is cut short for a sooner first sound."""
        first = True
        timing = turn.timing
        while (message := await replies.get()) is not None:
            timing.setdefault("rasa_s", time.monotonic() - turn.ended_at)
            self.keypad = keypad_choices(message) or self.keypad
            for part in sentences(spoken_reply(message), first_max_chars=FIRST_SENTENCE_CHARS if first else 0):
                await self.playback.play(part)
                if first:
                    timing["first_audio_s"] = time.monotonic() - turn.ended_at
                    logger.info(
                        "call %s: after the end of the turn: %s",
                        self.call_id,
                        ", ".join(f"{k} {v:.2f}" for k, v in timing.items()),
                    )
                    first = False
            custom: dict[str, Any] = message["custom"] if isinstance(message.get("custom"), dict) else {}
            ending = next((payload for payload in ENDING_PAYLOADS if custom.get(payload)), None)
            if ending is not None:
                self._on_last_reply(ending)
