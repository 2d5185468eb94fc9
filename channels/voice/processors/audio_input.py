"""Caller audio frames → 16 kHz PCM for the turn detector: paced, counted, decoded.

Audio beyond the real-time pace is dropped before decoding (``AudioPace`` in limits.py; the transport
ends a flooding stream), a gap in the frames' sequence numbers is counted as lost audio, and a frame
that cannot be decoded is dropped with a warning: none of these ends the call.
"""

from __future__ import annotations

import logging

import numpy as np

from channels.voice.audio_format import AudioFormat, InboundDecoder
from channels.voice.frames import AudioFrame
from channels.voice.limits import AudioPace
from channels.voice.stats import CallStats
from speech.audio import AudioError

logger = logging.getLogger(__name__)


class AudioInput:
    def __init__(self, call_id: str, audio_format: AudioFormat, pace: AudioPace, stats: CallStats) -> None:
        self.call_id = call_id
        self.decoder = InboundDecoder(audio_format)
        self.bytes_per_second = audio_format.bytes_per_frame * 1000 // 20
        self.pace = pace
        self.stats = stats
        self.last_sequence: int | None = None
        self.throttle_logged = False

    def admit(self, seconds: float) -> bool:
        """Whether input worth ``seconds`` of audio is within the pace (else it is dropped and counted)."""
        if self.pace.take(seconds):
            return True
        self.stats.frames_throttled += 1
        if not self.throttle_logged:
            self.throttle_logged = True
            logger.warning("call %s: audio arrives faster than real time; the excess is dropped", self.call_id)
        return False

    def decode(self, frame: AudioFrame, *, heard: bool = True) -> np.ndarray | None:
        """The frame as 16 kHz int16, or None when it is dropped; ``heard`` False: paced, not decoded."""
        self.stats.frames_in += 1
        if not self.admit(len(frame.payload) / self.bytes_per_second) or not heard:
            return None
        if frame.sequence is not None:
            if self.last_sequence is not None and frame.sequence > self.last_sequence + 1:
                self.stats.sequence_gaps += frame.sequence - self.last_sequence - 1
            self.last_sequence = frame.sequence
        try:
            return self.decoder.decode(frame.payload)
        except AudioError as error:
            self.stats.bad_frames += 1
            logger.warning("call %s: frame dropped: %s", self.call_id, error)
            return None
