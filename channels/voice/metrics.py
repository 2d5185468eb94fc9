"""The voice gateway's own metrics: turns, and how long recognition and synthesis take.

Speech is the slow part of a phone turn on a small CPU; these histograms show it next to the
HTTP latencies every service has (service_kit/observability.py).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SPEECH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)

VOICE_TURNS = Counter("shop_voice_turns_total", "Caller turns answered, by how they came (speech, dtmf).", ["source"])
ASR_SECONDS = Histogram("shop_voice_asr_seconds", "Time to transcribe one caller turn.", buckets=SPEECH_BUCKETS)
ASR_AUDIO_SECONDS = Counter("shop_voice_asr_audio_seconds_total", "Seconds of caller audio transcribed.")
TTS_SECONDS = Histogram("shop_voice_tts_seconds", "Time to synthesise one reply sentence.", buckets=SPEECH_BUCKETS)
