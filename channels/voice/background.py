"""Fire-and-forget tasks of a call, kept referenced (the event loop holds tasks weakly) and cancelled
when the call ends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


def retrieve(task: asyncio.Future[Any]) -> None:
    """Marks a background task's exception as seen (it was logged where it mattered)."""
    if not task.cancelled():
        task.exception()


class Background:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Future[None]] = set()

    def run(self, work: Awaitable[None]) -> None:
        """Fire and forget, but keep a reference and see the outcome."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(retrieve)
