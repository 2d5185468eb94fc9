"""channels.voice.processors.idle and time_limit: the no-input prompts and the call length (clock passed in)."""

from __future__ import annotations

from channels.voice.processors import time_limit
from channels.voice.processors.idle import MAX_NO_INPUT_PROMPTS, NoInputPrompts
from channels.voice.processors.time_limit import TimeLimit


def test_a_quiet_idle_call_is_prompted_then_said_goodbye_to() -> None:
    quiet = NoInputPrompts(no_input_s=10, last_activity=0)
    assert quiet.due(9.9, idle=True) is None
    assert quiet.due(10, idle=True) == "prompt"
    assert quiet.due(15, idle=True) is None, "the prompt restarts the quiet"
    assert [quiet.due(20 + 10 * i, idle=True) for i in range(MAX_NO_INPUT_PROMPTS)] == ["prompt", "goodbye"]


def test_only_an_idle_call_is_prompted_and_zero_never_prompts() -> None:
    assert NoInputPrompts(no_input_s=10, last_activity=0).due(100, idle=False) is None
    assert NoInputPrompts(no_input_s=0, last_activity=0).due(100, idle=True) is None


def test_activity_restarts_the_quiet_and_speech_the_count() -> None:
    quiet = NoInputPrompts(no_input_s=10, last_activity=0)
    assert quiet.due(10, idle=True) == "prompt"
    quiet.touch(18)  # a reply played
    assert quiet.due(25, idle=True) is None and quiet.prompts == 1
    assert quiet.due(28, idle=True) == "prompt"
    quiet.heard(30)  # the caller spoke
    assert quiet.prompts == 0
    assert [quiet.due(40, idle=True), quiet.due(50, idle=True)] == ["prompt", "prompt"]


def test_the_time_limit_is_reached_once_and_the_grace_period_ends_once() -> None:
    limit = TimeLimit(max_call_s=900, started_at=100)
    assert limit.check(999) == "running" and not limit.reached
    assert limit.check(1000) == "reached" and limit.reached
    assert limit.check(1000 + time_limit.GOODBYE_GRACE_S) == "over"
    assert limit.check(1000.1 + time_limit.GOODBYE_GRACE_S) == "grace_over"
    assert limit.check(5000) == "over" and limit.reached


def test_no_limit_never_ends_a_call() -> None:
    assert TimeLimit(max_call_s=0, started_at=0).check(10**9) == "running"
