"""Counters over all calls of the process (served on /health, read by tests and the benchmark)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CallStats:
    """Counters over all calls of the process (served on /health, read by tests and the benchmark)."""

    active: int = 0
    total: int = 0
    turns: int = 0
    frames_in: int = 0
    sequence_gaps: int = 0
    bad_frames: int = 0
    barge_ins: int = 0
    confirmations: int = 0
    dtmf_entries: int = 0
    rasa_failures: int = 0
    stored_on_hangup: int = 0
    turns_dropped: int = 0  # waiting turns dropped because the call's queue was full
    frames_throttled: int = 0  # caller frames dropped for arriving faster than real time
    floods: int = 0  # streams closed for sending audio far faster than real time
    time_limited: int = 0  # calls ended at VOICE_MAX_CALL_S

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)
