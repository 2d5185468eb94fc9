"""The "are you still there?" prompt: after ``VOICE_NO_INPUT_S`` of a quiet, idle call, a prompt; after
``MAX_NO_INPUT_PROMPTS`` of them, a goodbye (the call then ends). Pure logic with the clock passed in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MAX_NO_INPUT_PROMPTS = 2


@dataclass
class NoInputPrompts:
    no_input_s: float  # 0: never prompt
    last_activity: float  # the clock of the last thing that happened on the call
    prompts: int = 0

    def touch(self, now: float) -> None:
        """Something happened (a reply played, a key was pressed): the quiet starts again."""
        self.last_activity = now

    def heard(self, now: float) -> None:
        """The caller spoke: the quiet starts again and so does the count of prompts."""
        self.last_activity = now
        self.prompts = 0

    def due(self, now: float, idle: bool) -> Literal["prompt", "goodbye"] | None:
        """What to say now, if anything; ``idle``: nobody speaks, nothing waits or plays."""
        if not idle or self.no_input_s <= 0 or now - self.last_activity < self.no_input_s:
            return None
        self.last_activity = now
        self.prompts += 1
        return "goodbye" if self.prompts > MAX_NO_INPUT_PROMPTS else "prompt"
