"""The gateway's side of hanging up: the stream ends once the call's last words have played.

Three things end a call from this side: a bot message asking for a hand-off or the end of the call
(the provider's call flow then goes on, e.g. to a support line: docs/voice.md), the goodbye after the
"are you still there?" prompts (idle.py), and the maximum call length (time_limit.py: a goodbye that
nothing cuts; the stream ends once it played, or ``GOODBYE_GRACE_S`` later if the provider never
confirms it). The reason is what the transport reports as the end of the call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.voice.background import Background
from channels.voice.processors.playback import END_OF_CALL, Playback
from channels.voice.processors.time_limit import TimeLimit
from channels.voice.stats import CallStats
from channels.voice.texts import voice_text

logger = logging.getLogger(__name__)

CloseStream = Callable[[str], Awaitable[None]]


class HangUp:
    def __init__(
        self,
        *,
        call_id: str,
        playback: Playback,
        time_limit: TimeLimit,
        stats: CallStats,
        close_stream: CloseStream,
        background: Background,
    ) -> None:
        self.call_id = call_id
        self.playback = playback
        self.time_limit = time_limit
        self.stats = stats
        self._close_stream = close_stream
        self._background = background
        self.reason: str | None = None  # why the gateway ends the call, once it decided to
        self.call_over = False  # the call already ended (the caller hung up first): nothing to close

    @property
    def time_up(self) -> bool:
        """From the time limit on, the caller is no longer heard."""
        return self.time_limit.reached

    def after_playback(self, reason: str) -> None:
        """A bot message ended the conversation: the stream ends once what was sent has played."""
        self.reason = reason
        self.playback.end_after_nowait()

    def say_goodbye(self, reason: str, text: str) -> None:
        self.reason = reason
        self.playback.start(self.playback.say_last(text))

    def check_time_limit(self, now: float) -> bool:
        """At the limit the caller hears a goodbye that nothing cuts; True once time is up."""
        state = self.time_limit.check(now)
        if state == "reached":
            self.reason = "time_limit"
            self.stats.time_limited += 1
            logger.info("call %s reached the maximum call length of %.0f s", self.call_id, self.time_limit.max_call_s)
            self.playback.clear()
            self.playback.start(self.playback.say_last(voice_text("time_limit")), last_words=True)
        elif state == "grace_over":
            self.now()
        return state != "running"

    def played(self, mark: str, *, answering: bool) -> None:
        """Everything sent has played, up to ``mark``. The stream ends after the end-of-call mark, or
        when the call is ending and no turn is being answered (a time-limit goodbye has its own mark)."""
        if mark == END_OF_CALL or (self.reason and not answering and not self.time_up):
            asyncio.get_running_loop().call_soon(self.now)

    def now(self) -> None:
        if not self.call_over:
            self._background.run(self._close_stream(self.reason or "done"))
