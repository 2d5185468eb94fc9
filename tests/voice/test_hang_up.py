"""channels.voice.processors.hang_up: the stream ends after the call's last words have played, or at
the end of the grace period when the provider never confirms them (clock passed in, fake line)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from channels.voice.background import Background
from channels.voice.processors.hang_up import HangUp
from channels.voice.processors.playback import END_OF_CALL
from channels.voice.processors.time_limit import GOODBYE_GRACE_S, TimeLimit
from channels.voice.stats import CallStats
from tests.voice.fakes import FakeVoice, Line, playback


@dataclass
class Ending:
    voice: FakeVoice = field(default_factory=FakeVoice)
    line: Line = field(default_factory=Line)
    stats: CallStats = field(default_factory=CallStats)
    closed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.playback = playback(self.voice, self.line)
        self.hang_up = HangUp(
            call_id="CA7",
            playback=self.playback,
            time_limit=TimeLimit(max_call_s=60, started_at=0),
            stats=self.stats,
            close_stream=self.close,
            background=Background(),
        )

    async def close(self, reason: str) -> None:
        self.closed.append(reason)

    async def echo(self, *, answering: bool = False) -> None:
        """The provider plays everything sent and echoes each mark."""
        await self.playback.wait()
        await asyncio.sleep(0.01)
        for name in self.line.marks():
            if self.playback.played(name):
                self.hang_up.played(name, answering=answering)
        await asyncio.sleep(0.01)


async def test_at_the_time_limit_a_goodbye_nothing_cuts_then_the_stream_ends() -> None:
    ending = Ending()
    assert not ending.hang_up.check_time_limit(59.9) and ending.hang_up.reason is None
    assert ending.hang_up.check_time_limit(60) and ending.hang_up.time_up
    assert not ending.playback.cut(), "barge-in does not cut the goodbye"
    await ending.playback.wait()
    assert "time limit for this call" in " ".join(ending.voice.said)
    assert ending.line.marks()[-1] == END_OF_CALL and ending.stats.time_limited == 1
    await ending.echo()
    assert ending.closed == ["time_limit"]


async def test_the_stream_ends_after_the_grace_period_when_the_goodbye_never_played() -> None:
    ending = Ending()
    ending.hang_up.check_time_limit(60)
    await ending.playback.wait()
    assert ending.hang_up.check_time_limit(60 + GOODBYE_GRACE_S)
    await asyncio.sleep(0.01)
    assert ending.closed == []
    ending.hang_up.check_time_limit(60 + GOODBYE_GRACE_S + 0.1)
    ending.hang_up.check_time_limit(60 + GOODBYE_GRACE_S + 0.2)  # closed once
    await asyncio.sleep(0.01)
    assert ending.closed == ["time_limit"]


async def test_after_a_hand_off_the_stream_ends_once_everything_said_has_played() -> None:
    ending = Ending()
    ending.playback.start(ending.playback.say(["I'm putting you through."]))
    await ending.echo()
    assert ending.closed == [], "a reply that played does not end the call"
    ending.playback.start(ending.playback.say(["One moment."]))
    await ending.playback.wait()
    ending.hang_up.after_playback("handoff")
    await asyncio.sleep(0.01)
    assert ending.line.marks() == ["say-1", "say-2", END_OF_CALL]
    ending.hang_up.played("say-2", answering=True)
    await asyncio.sleep(0.01)
    assert ending.closed == [], "the turn is still being answered: more may be said"
    await ending.echo(answering=True)
    assert ending.closed == ["handoff"]


async def test_a_silent_callers_goodbye_ends_the_stream_and_a_finished_call_is_not_closed() -> None:
    ending = Ending()
    ending.hang_up.say_goodbye("no_input", "Goodbye!")
    await ending.echo()
    assert ending.voice.said == ["Goodbye!"] and ending.closed == ["no_input"]
    ending.hang_up.call_over = True
    ending.hang_up.now()
    await asyncio.sleep(0.01)
    assert ending.closed == ["no_input"]
