"""The call's side of the conversation with Rasa: each turn is posted, its replies arrive on a queue.

A request is never cancelled by barge-in or hang-up, so what the caller said is always stored in the
conversation; when the call ends, requests in flight get the Rasa timeout to finish. Rasa down or too
slow becomes an apology the caller hears (``assistant_error``), never silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from channels.voice.services.dialogue import RasaUnavailable
from channels.voice.texts import voice_text

logger = logging.getLogger(__name__)

Replies = asyncio.Queue[dict[str, Any] | None]  # the bot's messages of one turn; None: the turn is done


class DialogueService(Protocol):
    """Rasa's voice channel (services/dialogue.py)."""

    def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> AsyncIterator[dict[str, Any]]: ...


class Conversation:
    def __init__(self, dialogue: DialogueService, call_id: str, caller: str, on_failure: Callable[[], None]) -> None:
        self.dialogue = dialogue
        self.call_id = call_id
        self.caller = caller
        self._on_failure = on_failure
        self.requests: set[asyncio.Task[None]] = set()

    def metadata(self, confidence: float, **extra: Any) -> dict[str, Any]:
        """What Rasa's voice channel stores with the caller's message (docs/voice.md)."""
        return {"caller": self.caller, "asr_confidence": round(float(confidence), 3), **extra}

    def ask(self, text: str, metadata: dict[str, Any]) -> tuple[Replies, asyncio.Task[None]]:
        """Sends the turn; Rasa's messages arrive on the queue as Rasa produces them."""
        replies: Replies = asyncio.Queue()

        async def request() -> None:
            try:
                async for message in self.dialogue.turn(self.call_id, text, metadata):
                    replies.put_nowait(message)
            except RasaUnavailable as error:
                self._on_failure()
                logger.error("call %s: %s", self.call_id, error)
                replies.put_nowait({"text": voice_text("assistant_error")})
            finally:
                replies.put_nowait(None)

        task = asyncio.create_task(request(), name=f"voice-{self.call_id}-rasa")
        self.requests.add(task)
        task.add_done_callback(self.requests.discard)
        return replies, task

    async def finish(self, timeout_s: float) -> None:
        """The call ended: the requests in flight finish, within the Rasa timeout."""
        if self.requests:
            await asyncio.wait(self.requests, timeout=timeout_s)
