"""When agents are at their desks: "mon-fri 09:00-17:00", several ranges comma-separated, or "always".

Outside these hours a new ticket is a follow-up (the bot tells the shopper someone will get back to
them) instead of waiting for a live agent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RANGE = re.compile(r"^(?P<d1>[a-z]{3})(?:-(?P<d2>[a-z]{3}))?\s+(?P<t1>\d{1,2}:\d{2})-(?P<t2>\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class Shift:
    days: frozenset[int]
    start: time
    end: time  # exclusive; 24:00 is written as 23:59

    def covers(self, moment: datetime) -> bool:
        return moment.weekday() in self.days and self.start <= moment.time().replace(tzinfo=None) < self.end


@dataclass(frozen=True)
class AgentHours:
    shifts: tuple[Shift, ...]
    zone: ZoneInfo
    always: bool = False

    @classmethod
    def parse(cls, spec: str, timezone: str = "UTC") -> AgentHours:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"HANDOFF_TIMEZONE: unknown time zone {timezone!r} (use a name like Europe/Berlin)"
            ) from None
        text = spec.strip().lower()
        if text in ("always", "24/7"):
            return cls((), zone, always=True)
        shifts = tuple(_shift(part.strip()) for part in text.split(",") if part.strip())
        if not shifts:
            raise ValueError("HANDOFF_AGENT_HOURS is empty (use 'always' or e.g. 'mon-fri 09:00-17:00')")
        return cls(shifts, zone)

    def open_at(self, moment: datetime) -> bool:
        """`moment` must be timezone-aware; it is compared in the desk's time zone."""
        if self.always:
            return True
        local = moment.astimezone(self.zone)
        return any(shift.covers(local) for shift in self.shifts)


def _shift(part: str) -> Shift:
    match = RANGE.match(part)
    if not match or match["d1"] not in DAYS or (match["d2"] and match["d2"] not in DAYS):
        raise ValueError(f"HANDOFF_AGENT_HOURS: cannot read {part!r} (expected e.g. 'mon-fri 09:00-17:00')")
    first, last = DAYS.index(match["d1"]), DAYS.index(match["d2"] or match["d1"])
    days = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
    try:
        start, end = time.fromisoformat(match["t1"].zfill(5)), time.fromisoformat(match["t2"].zfill(5))
    except ValueError:
        raise ValueError(f"HANDOFF_AGENT_HOURS: bad time in {part!r}") from None
    if end <= start:
        raise ValueError(f"HANDOFF_AGENT_HOURS: {part!r} ends before it starts")
    return Shift(frozenset(days), start, end)
