"""A human agent's messages spoken on the call: during a hand-off through the desk a person answers
in the conversation, and Rasa cannot push to the gateway, so the gateway asks every ``VOICE_AGENT_POLL_S``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol


class AgentMessages(Protocol):
    """The part of the dialogue service (services/dialogue.py) this processor needs."""

    async def agent_messages(self, conversation_id: str, since: float) -> list[dict[str, Any]]: ...


def _has_content(message: dict[str, Any]) -> bool:
    return bool(message.get("text") or message.get("buttons"))


async def new_agent_messages(
    dialogue: AgentMessages, conversation_id: str, since: float
) -> tuple[list[dict[str, Any]], float]:
    """The messages (text, and buttons: the rating question after a hand-back) an agent's side sent
    after ``since``, and the ``since`` for the next question."""
    messages = await dialogue.agent_messages(conversation_id, since)
    said = [m for m in messages if _has_content(m)]
    if messages:
        since = max(float(m.get("timestamp") or since) for m in messages)
    return said, since


async def relay_agent_messages(
    dialogue: AgentMessages,
    conversation_id: str,
    every_s: float,
    may_speak: Callable[[], bool],
    speak: Callable[[list[dict[str, Any]]], None],
) -> None:
    """Runs for the whole call; never asks while the caller talks or a reply plays (asked next time)."""
    since = time.time()
    while True:
        await asyncio.sleep(every_s)
        if not may_speak():
            continue
        messages, since = await new_agent_messages(dialogue, conversation_id, since)
        if messages:
            speak(messages)
