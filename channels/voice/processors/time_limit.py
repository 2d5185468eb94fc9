"""The maximum call length (``VOICE_MAX_CALL_S``): a goodbye at the limit, and the stream ends once it
played, or ``GOODBYE_GRACE_S`` later if the provider never confirms playback. Clock passed in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GOODBYE_GRACE_S = 20.0  # after the time-limit goodbye, the stream ends even if its mark never comes back


@dataclass
class TimeLimit:
    max_call_s: float  # 0: no limit
    started_at: float
    time_up_at: float | None = None

    @property
    def reached(self) -> bool:
        """From the limit on, the caller is no longer heard and nothing else is said."""
        return self.time_up_at is not None

    def check(self, now: float) -> Literal["running", "reached", "grace_over", "over"]:
        """``reached`` and ``grace_over`` are each returned once; ``over`` after them."""
        if not self.max_call_s or now - self.started_at < self.max_call_s:
            return "running"
        if self.time_up_at is None:
            self.time_up_at = now
            return "reached"
        if now - self.time_up_at > GOODBYE_GRACE_S:
            self.time_up_at = float("inf")  # closed once
            return "grace_over"
        return "over"
