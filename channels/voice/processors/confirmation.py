"""Whether a recognised turn goes to Rasa as heard, is checked with the caller first, or is dropped.

A turn heard with low confidence is not sent: the caller is asked "Did you say …?" and the next turn
answers it ("yes" sends the held turn, "no" asks to say it again, anything else is a new turn). Pure
logic, so every path is tested without audio or Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from channels.voice.spoken import confirmation_question, yes_or_no


@dataclass(frozen=True)
class Verdict:
    """``send``: ``text`` goes to Rasa (``confirmed`` after a yes); ``ask``: say ``text`` and wait;
    ``say_again``: the caller said no, nothing is sent."""

    action: Literal["send", "ask", "say_again"]
    text: str = ""
    confirmed: bool = False


@dataclass
class Confirmation:
    confirm_below: float
    pending: str | None = None  # the held turn, waiting for yes or no

    def judge(self, heard: str, confidence: float) -> Verdict:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            answer = yes_or_no(heard)
            if answer is True:
                return Verdict("send", pending, confirmed=True)
            if answer is False:
                return Verdict("say_again")
        if confidence < self.confirm_below and yes_or_no(heard) is None:
            self.pending = heard
            return Verdict("ask", confirmation_question(heard))
        return Verdict("send", heard)
