"""Piper and espeak-ng behind the Synthesizer interface; settings; the Piper → espeak-ng fallback."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from settings_kit.settings import InvalidSetting
from speech.prompts import catalogue_prompt, prompt_from_setting
from speech.settings import SpeechSettings
from speech.synthesis import (
    Speech,
    SynthesisError,
    Synthesizer,
    load_configured_synthesizer,
    load_synthesizer,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_engines_speak_a_shop_sentence(engine):
    synthesizer = load_synthesizer(engine)
    assert isinstance(synthesizer, Synthesizer) and synthesizer.name.startswith(engine)
    speech = synthesizer.synthesize("Your order one two three four five was shipped today.")
    assert isinstance(speech, Speech) and speech.pcm.dtype == np.int16 and speech.pcm.ndim == 1
    assert speech.sample_rate == synthesizer.sample_rate == 22050
    assert 1.5 < speech.duration_s < 6.0
    assert np.abs(speech.pcm).max() > 3000  # audible, not silence


@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_empty_text_is_empty_speech(engine):
    speech = load_synthesizer(engine).synthesize("   \n ")
    assert speech.pcm.size == 0 and speech.pcm.dtype == np.int16


@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_text_is_text_never_options(engine):
    """espeak-ng gets the text on stdin, so a leading dash or quotes are spoken, not parsed as flags."""
    speech = load_synthesizer(engine).synthesize('-w /tmp/evil.wav "--stdout" hello')
    assert speech.duration_s > 0.5
    assert not Path("/tmp/evil.wav").exists()


@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_too_long_text_is_refused(engine):
    with pytest.raises(ValueError, match="limit"):
        load_synthesizer(engine).synthesize("word " * 1000)


def test_unknown_engine_and_voice():
    with pytest.raises(ValueError, match="unknown speech engine"):
        load_synthesizer("festival")
    with pytest.raises(SynthesisError, match="no voice 'no-such-voice'"):
        load_synthesizer("espeak", voice="no-such-voice")
    assert load_synthesizer("espeak", voice="cmn-latn-pinyin").synthesize("ni hao").duration_s > 0.3


def test_piper_that_cannot_load_falls_back_to_espeak_with_a_log_line(caplog, tmp_path):
    settings = SpeechSettings(tts_engine="piper", tts_voice=str(tmp_path / "missing.onnx"))
    with caplog.at_level(logging.WARNING, logger="speech.synthesis"):
        synthesizer = load_configured_synthesizer(settings)
    assert synthesizer.name == "espeak:en-us"
    assert any("Piper unavailable" in record.getMessage() for record in caplog.records)


def test_configured_engine_is_used_as_is():
    assert load_configured_synthesizer(SpeechSettings(tts_engine="piper")).name == "piper:en_US-joe-medium"
    assert load_configured_synthesizer(SpeechSettings(tts_engine="espeak")).name == "espeak:en-us"


def test_piper_never_loads_into_our_process():
    """Piper is GPL: by default it runs in a worker process; this process never imports it."""
    code = (
        "import sys, numpy as np\n"
        "import speech.audio, speech.recognition, speech.vad, speech.models, speech.text\n"
        "from speech.synthesis import load_synthesizer\n"
        "load_synthesizer('espeak').synthesize('hello')\n"
        "speech.vad.EndOfSpeechDetector().feed(np.zeros(1600, dtype=np.int16))\n"
        "assert load_synthesizer('piper').synthesize('hello there').duration_s > 0.5\n"
        "assert not [m for m in sys.modules if m == 'piper' or m.startswith('piper.')], 'piper imported'\n"
        "load_synthesizer('piper', isolated=False).synthesize('hello')\n"
        "assert 'piper' in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True
    )
    assert result.returncode == 0, result.stderr.decode()


def test_in_process_and_worker_piper_sound_alike():
    worker, local = load_synthesizer("piper"), load_synthesizer("piper", isolated=False)
    assert worker is not local and worker.name == local.name and worker.sample_rate == local.sample_rate
    a, b = worker.synthesize("size medium"), local.synthesize("size medium")
    assert abs(a.duration_s - b.duration_s) < 0.3  # Piper samples noise: close, not identical


def test_a_dead_piper_worker_is_restarted(caplog):
    synthesizer = load_synthesizer("piper")
    synthesizer._process.kill()
    synthesizer._process.wait()
    with caplog.at_level(logging.WARNING, logger="speech.synthesis"):
        assert synthesizer.synthesize("are you still there").duration_s > 0.5
    assert any("restarting the Piper worker" in r.getMessage() for r in caplog.records)


def test_settings_from_env():
    assert SpeechSettings.from_env({}) == SpeechSettings()
    settings = SpeechSettings.from_env(
        {
            "SPEECH_ASR_MODEL": "tiny.en",
            "SPEECH_TTS_ENGINE": "espeak",
            "SPEECH_THREADS": "2",
            "SPEECH_PARTIAL_MS": "",
            "SPEECH_COMPUTE_TYPE": "int8",
        }
    )
    assert (settings.asr_model, settings.tts_engine, settings.threads, settings.partial_ms) == (
        "tiny.en",
        "espeak",
        2,
        1000,
    )
    assert settings.compute_type == "int8" and SpeechSettings().compute_type == "float32"
    for env, message in [
        ({"SPEECH_ASR_MODEL": "large"}, "SPEECH_ASR_MODEL must be 'tiny.en' or 'base' (got 'large')"),
        ({"SPEECH_TTS_ENGINE": "say"}, "SPEECH_TTS_ENGINE must be 'piper' or 'espeak' (got 'say')"),
        ({"SPEECH_THREADS": "many"}, "SPEECH_THREADS must be a number (got 'many')"),
        ({"SPEECH_THREADS": "0"}, "SPEECH_THREADS must be between 1 and 16 (got '0')"),
        ({"SPEECH_COMPUTE_TYPE": "int16"}, "SPEECH_COMPUTE_TYPE must be 'float32', 'int8' or 'int8_float32'"),
    ]:
        with pytest.raises(InvalidSetting, match=re.escape(message)):
            SpeechSettings.from_env(env)


def test_prompt_setting():
    assert SpeechSettings.from_env({}).prompt == "catalogue"
    assert prompt_from_setting("none") is None
    assert prompt_from_setting("catalogue") == catalogue_prompt()
    assert "Storm Rain Jacket" in prompt_from_setting(str(REPO / "catalogue_files" / "demo" / "catalogue.csv"))
    with pytest.raises(ValueError, match="SPEECH_PROMPT"):
        prompt_from_setting("/nonexistent/products.csv")
