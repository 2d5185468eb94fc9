"""channels.voice.limits: lines per kind and address, the audio pace, the bounded turn queue (own logic).

The same limits against the real gateway with real audio: test_voice_limits.py.
"""

from __future__ import annotations

import asyncio

import pytest

from channels.voice.limits import AudioPace, BoundedQueue, Busy, Lines


def test_lines_are_limited_in_total_for_browsers_and_per_address() -> None:
    lines = Lines(max_calls=4, max_browser_calls=2, max_per_address=2)
    first = lines.take("browser", "10.0.0.1")
    lines.take("unauthenticated", "10.0.0.1")
    with pytest.raises(Busy, match="at most 2 calls at a time from one address") as refused:
        lines.take("browser", "10.0.0.1")
    assert refused.value.status == 429
    lines.take("browser", "10.0.0.2")
    with pytest.raises(Busy, match="lines for browser calls are busy") as refused:
        lines.take("browser", "10.0.0.3")
    assert refused.value.status == 503
    provider = lines.take("provider", "10.0.0.1")  # the provider's calls are not counted per address
    with pytest.raises(Busy, match="all 4 lines are busy"):
        lines.take("provider", "10.0.0.9")
    first.release()
    first.release()  # twice is harmless
    provider.release()
    assert (lines.total, lines.browsers, lines.by_address["10.0.0.1"]) == (2, 1, 1)


def test_a_stream_that_shows_the_token_stops_counting_for_its_address() -> None:
    lines = Lines(max_calls=10, max_browser_calls=2, max_per_address=1)
    line = lines.take("unauthenticated", "54.0.0.1")  # Twilio: the token comes in the start message
    line.authenticated_as_provider()
    second = lines.take("unauthenticated", "54.0.0.1")
    second.authenticated_as_provider()
    line.release()
    second.release()
    assert (lines.total, dict(lines.by_address)) == (0, {})


def test_audio_faster_than_real_time_is_dropped_beyond_the_burst_and_ends_as_a_flood() -> None:
    now = [0.0]
    pace = AudioPace(speed=1.0, burst_s=1.0, flood_s=2.0, clock=lambda: now[0])
    assert all(pace.take(0.02) for _ in range(50))  # one second at once: the burst allowance
    assert not pace.take(0.02) and pace.dropped_s == pytest.approx(0.02)
    for _ in range(500):  # ten seconds of real time, 20 ms frames in rhythm: all taken
        now[0] += 0.02
        assert pace.take(0.02)
    assert not pace.flooding
    now[0] += 5  # a pause refills the bucket, up to the burst only
    accepted = sum(pace.take(0.02) for _ in range(100))  # two seconds at once
    assert accepted == 50 and not pace.flooding
    assert sum(pace.take(0.02) for _ in range(100)) == 0 and pace.flooding


async def test_a_full_queue_drops_the_oldest_waiting_items() -> None:
    queue: BoundedQueue[int] = BoundedQueue(2)
    assert queue.put_nowait(1) == [] and queue.put_nowait(2) == []
    assert queue.put_nowait(3) == [1]
    assert [await queue.get(), await queue.get()] == [2, 3] and queue.empty()
    waiter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait(4)
    assert await asyncio.wait_for(waiter, 1) == 4
