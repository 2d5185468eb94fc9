"""Keypad digits → one text turn: a caller types an order number and ends it with '#' (or pauses).

'*' starts over. The collected digits are sent to Rasa as the caller's message ("104532"), which the
NLU reads as an order number like a typed one. Pure logic with the clock passed in, so it is tested
without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_DIGITS = 20


@dataclass
class DigitCollector:
    timeout_s: float = 3.0
    digits: list[str] = field(default_factory=list)
    last_at: float | None = None

    def press(self, digit: str, now: float) -> str | None:
        """Add one key; returns the finished entry on '#', else None."""
        self.last_at = now
        if digit == "#":
            return self.take()
        if digit == "*":
            self.digits.clear()
            return None
        if digit.isdigit() and len(self.digits) < MAX_DIGITS:
            self.digits.append(digit)
        return None

    def due(self, now: float) -> str | None:
        """The entry when the caller stopped typing for `timeout_s`, else None."""
        if self.digits and self.last_at is not None and now - self.last_at >= self.timeout_s:
            return self.take()
        return None

    def take(self) -> str | None:
        entry = "".join(self.digits)
        self.digits.clear()
        self.last_at = None
        return entry or None

    @property
    def pending(self) -> bool:
        return bool(self.digits)
