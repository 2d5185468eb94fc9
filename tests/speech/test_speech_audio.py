"""Audio conversions with real codecs: mu-law telephony, WAV and Opus/WebM/Ogg from FFmpeg, broken input."""

from __future__ import annotations

import numpy as np
import pytest
from speech_fixtures import encode_with_av, over_phone

from speech.audio import (
    SAMPLE_RATE,
    AudioError,
    MulawStreamDecoder,
    decode_audio,
    mulaw_to_pcm16,
    pcm16_from_bytes,
    pcm16_to_mulaw,
    resample,
    to_wav,
)


def tone(seconds: float = 1.0, rate: int = SAMPLE_RATE, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * hz * t) * 12000).astype(np.int16)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(a.size, b.size)
    return float(np.corrcoef(a[:n].astype(float), b[:n].astype(float))[0, 1])


def test_mulaw_round_trip_keeps_length_and_shape_of_the_signal():
    pcm = tone()
    mulaw = pcm16_to_mulaw(pcm, SAMPLE_RATE)
    assert isinstance(mulaw, bytes) and len(mulaw) == 8000  # 1 s at 8 kHz, one byte per sample
    back = mulaw_to_pcm16(mulaw)
    assert back.dtype == np.int16 and back.size == SAMPLE_RATE
    assert correlation(pcm, back) > 0.98


def test_twilio_frames_decode_like_the_whole_stream(spoken):
    pcm = spoken["piper", "order"]
    mulaw = pcm16_to_mulaw(pcm, SAMPLE_RATE)
    decoder = MulawStreamDecoder()
    frames = [decoder.decode(mulaw[i : i + 160]) for i in range(0, len(mulaw), 160)]  # 20 ms each
    streamed = np.concatenate([*frames, decoder.flush()])
    whole = mulaw_to_pcm16(mulaw)
    assert abs(streamed.size - whole.size) <= 2
    assert correlation(streamed, whole) > 0.99


def test_resample_lengths_and_bad_rates():
    assert resample(tone(1.0, 22050), 22050, 16000).size == 16000
    assert resample(tone(0.5, 8000), 8000, 16000).size == 8000
    for rate in (0, -8000, 10**7, 8000.5):
        with pytest.raises(AudioError, match="rate"):
            resample(tone(), rate, 16000)
    with pytest.raises(AudioError, match="rate"):
        mulaw_to_pcm16(b"\xff" * 160, rate=0)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
@pytest.mark.parametrize("layout", ["mono", "stereo"])
def test_decode_wav_from_av_any_rate_and_layout(rate, layout):
    wav = encode_with_av(tone(1.0, rate), rate, "wav", "pcm_s16le", layout=layout)
    pcm = decode_audio(wav)
    assert pcm.dtype == np.int16 and abs(pcm.size - SAMPLE_RATE) <= 2
    assert correlation(pcm, tone(1.0)) > 0.95


@pytest.mark.parametrize(("container", "codec"), [("webm", "libopus"), ("ogg", "libopus"), ("mp3", "libmp3lame")])
def test_decode_compressed_speech_and_transcribe_it(container, codec, spoken, tiny):
    pcm48k = resample(spoken["piper", "jacket"], SAMPLE_RATE, 48000)
    data = encode_with_av(pcm48k, 48000, container, codec)
    assert data[:4] in (b"\x1aE\xdf\xa3", b"OggS") or container == "mp3"
    pcm = decode_audio(data)
    assert abs(pcm.size / SAMPLE_RATE - spoken["piper", "jacket"].size / SAMPLE_RATE) < 0.2
    text = tiny.transcribe(pcm).text.lower()
    assert "rain jacket" in text and "blue" in text


def test_to_wav_round_trip():
    pcm = tone(0.3)
    assert np.array_equal(decode_audio(to_wav(pcm, SAMPLE_RATE)), pcm)
    with pytest.raises(AudioError, match="mono"):
        to_wav(np.zeros((2, 100), dtype=np.int16), SAMPLE_RATE)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01garbage that is not audio at all" * 20, "could not read"),
        (bytes(range(256)) * 40, "could not read"),
    ],
)
def test_broken_input_is_a_clear_audio_error(data, message):
    with pytest.raises(AudioError, match=message):
        decode_audio(data)


def test_audio_error_is_a_value_error():
    assert issubclass(AudioError, ValueError)


@pytest.mark.parametrize("cut", [45, 101, 1001, 20001])
def test_truncated_wav_with_odd_byte_count_decodes_what_is_there(cut):
    wav = to_wav(tone(1.0), SAMPLE_RATE)[:cut]
    assert cut % 2 == 1
    pcm = decode_audio(wav) if cut > 46 else None
    if pcm is not None:
        assert pcm.dtype == np.int16 and pcm.size == (cut - 44) // 2
    else:
        with pytest.raises(AudioError):
            decode_audio(wav)


def test_truncated_webm_gives_the_decodable_part_or_a_clear_error(spoken):
    data = encode_with_av(resample(spoken["piper", "order"], SAMPLE_RATE, 48000), 48000, "webm", "libopus")
    for cut in (30, len(data) // 3, len(data) // 2 + 1):
        try:
            pcm = decode_audio(data[:cut])
        except AudioError as error:
            assert str(error)
        else:
            assert pcm.dtype == np.int16 and 0 < pcm.size < spoken["piper", "order"].size


def test_raw_pcm_with_odd_byte_count_is_refused():
    assert pcm16_from_bytes(b"\x01\x00\xff\x7f").tolist() == [1, 32767]
    with pytest.raises(AudioError, match="truncated"):
        pcm16_from_bytes(b"\x01\x00\xff")


def test_wrong_declared_rate_stretches_audio_but_never_crashes(spoken, tiny):
    """A WAV whose header says 8 kHz for 16 kHz samples plays at half speed: still audio, still handled."""
    pcm = spoken["espeak", "order"]
    wrong = decode_audio(to_wav(pcm, 8000))
    assert abs(wrong.size - 2 * pcm.size) <= 2
    transcript = tiny.transcribe(wrong)
    assert 0.0 <= transcript.confidence <= 1.0 and isinstance(transcript.text, str)
    # the telephone path with a declared rate that is no rate at all
    with pytest.raises(AudioError, match="rate"):
        mulaw_to_pcm16(pcm16_to_mulaw(pcm, SAMPLE_RATE), rate=-1)


def test_phone_path_keeps_duration(spoken):
    pcm = spoken["espeak", "jacket"]
    assert abs(over_phone(pcm).size - pcm.size) <= 2
