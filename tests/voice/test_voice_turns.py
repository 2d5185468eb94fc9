"""End of the caller's turn on real speech through the gateway's own audio path (20 ms mu-law frames,
the streaming decoder, Silero VAD with the default settings): pauses inside a sentence must not end
the turn, and the end must be heard soon after the last sound (the resampler's delay counts here)."""

from __future__ import annotations

import numpy as np
import pytest

from channels.voice.audio_format import AudioFormat, InboundDecoder, encode_reply
from channels.voice.settings import VoiceSettings
from speech.audio import SAMPLE_RATE
from speech.synthesis import EspeakSynthesizer, Synthesizer
from speech.vad import EndOfSpeechDetector
from tests.voice.conftest import utterance

# Sentences with commas and digit groups, where speakers pause (the e2e and benchmark turns among them).
TEXTS = (
    "I would like to know where my order is, it was supposed to arrive",
    "My order number is one zero four, five three two.",
    "Well, I ordered a jacket, and, um, it has not arrived yet.",
    "Yes, that's right.",
    "Thank you, goodbye.",
    "What payment methods do you accept?",
    "No.",
)


def turn_ends(pcm16k: np.ndarray, settings: VoiceSettings) -> list[float]:
    """Seconds after the last sound at which each end of turn is detected (frame by frame, as on a call)."""
    lead, tail = np.zeros(SAMPLE_RATE // 2, np.int16), np.zeros(2 * SAMPLE_RATE, np.int16)
    last_sound_s = (lead.size + pcm16k.size) / SAMPLE_RATE
    decoder = InboundDecoder(AudioFormat())
    vad = EndOfSpeechDetector(
        min_silence_ms=settings.end_silence_ms,
        speech_threshold=settings.vad_threshold,
        min_speech_ms=settings.min_speech_ms,
    )
    ends = []
    for index, frame in enumerate(encode_reply(np.concatenate([lead, pcm16k, tail]), SAMPLE_RATE, AudioFormat())):
        received_s = (index + 1) * 0.02
        ends += [received_s - last_sound_s for e in vad.feed(decoder.decode(frame)) if e.kind == "speech_end"]
    return ends


@pytest.fixture(scope="module")
def voices(piper: Synthesizer, espeak: Synthesizer) -> dict[str, Synthesizer]:
    return {"piper": piper, "espeak": espeak, "espeak-slow": EspeakSynthesizer(rate_wpm=140)}


@pytest.mark.parametrize("voice", ["piper", "espeak", "espeak-slow"])
def test_pauses_inside_sentences_do_not_end_the_turn(voice, voices) -> None:
    settings = VoiceSettings(token="t")
    for text in TEXTS:
        ends = turn_ends(utterance(voices[voice], text)[0], settings)
        assert len(ends) == 1, (text, ends)


def test_the_end_of_the_turn_is_heard_soon_after_the_last_sound(voices) -> None:
    settings = VoiceSettings(token="t")
    delays = [turn_ends(utterance(voices["piper"], text)[0], settings)[0] for text in TEXTS]
    # The silence itself, plus the VAD's 32 ms windows and the quiet tail of the last word: 40-65 ms on
    # average with the QQ resampler over several Piper takes; soxr HQ would add ~64 ms more (110-125 ms).
    assert np.mean(delays) <= settings.end_silence_ms / 1000 + 0.085, delays
    assert max(delays) <= settings.end_silence_ms / 1000 + 0.15, delays
