"""channels.voice.processors.audio_input: caller frames are paced, counted and decoded; none ends the call."""

from __future__ import annotations

from channels.voice.audio_format import L16, AudioFormat
from channels.voice.frames import AudioFrame
from channels.voice.limits import AudioPace
from channels.voice.processors.audio_input import AudioInput
from channels.voice.stats import CallStats

FRAME_8K_MULAW = b"\xff" * 160  # 20 ms


def audio_input(audio_format: AudioFormat = AudioFormat(), burst_s: float = 2.0) -> tuple[AudioInput, CallStats]:
    stats = CallStats()
    pace = AudioPace(speed=1.0, burst_s=burst_s, flood_s=5.0, clock=lambda: 0.0)  # the clock stands still
    return AudioInput("CA1", audio_format, pace, stats), stats


def test_a_frame_is_decoded_to_16_khz() -> None:
    frames, stats = audio_input()
    pcm = frames.decode(AudioFrame(FRAME_8K_MULAW, 1))
    assert pcm is not None and pcm.dtype.name == "int16"
    assert stats.frames_in == 1 and stats.bad_frames == 0


def test_audio_beyond_the_pace_is_dropped_before_decoding_and_counted() -> None:
    frames, stats = audio_input(burst_s=0.1)  # five frames of credit, no refill
    decoded = [frames.decode(AudioFrame(FRAME_8K_MULAW)) is not None for _ in range(8)]
    assert decoded == [True] * 5 + [False] * 3
    assert (stats.frames_in, stats.frames_throttled) == (8, 3)
    assert not frames.admit(0.05), "a key press is paced like audio"


def test_gaps_are_counted_and_a_truncated_frame_is_dropped() -> None:
    frames, stats = audio_input(AudioFormat(L16, 16000))
    assert frames.decode(AudioFrame(b"\x00" * 640, 3)) is not None
    assert frames.decode(AudioFrame(b"\x00" * 641, 4)) is None
    assert frames.decode(AudioFrame(b"\x00" * 640, 9)) is not None
    assert (stats.frames_in, stats.bad_frames, stats.sequence_gaps) == (3, 1, 4)


def test_after_the_time_limit_frames_are_paced_but_not_heard() -> None:
    frames, stats = audio_input()
    assert frames.decode(AudioFrame(FRAME_8K_MULAW, 1), heard=False) is None
    assert stats.frames_in == 1 and stats.frames_throttled == 0 and stats.bad_frames == 0
