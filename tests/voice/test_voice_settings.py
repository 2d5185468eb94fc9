"""channels.voice.settings and texts: safe defaults, clear errors, operator-editable wording."""

from __future__ import annotations

import pytest

from channels.voice.settings import VoiceSettings
from channels.voice.texts import voice_text


def test_defaults_need_only_the_token_and_follow_the_rasa_port() -> None:
    settings = VoiceSettings.from_env({"VOICE_GATEWAY_TOKEN": "t" * 40, "RASA_PORT": "17705"})
    assert settings.rasa_url == "http://127.0.0.1:17705"
    assert (settings.port, settings.workers, settings.end_silence_ms, settings.greeting) == (8107, 2, 400, True)


def test_values_are_read_and_checked() -> None:
    env = {
        "VOICE_GATEWAY_TOKEN": "t",
        "VOICE_RASA_URL": "http://rasa:5005/",
        "VOICE_END_SILENCE_MS": "700",
        "VOICE_CONFIRM_BELOW": "0.6",
        "VOICE_GREETING": "off",
    }
    settings = VoiceSettings.from_env(env)
    assert settings.rasa_url == "http://rasa:5005" and settings.end_silence_ms == 700
    assert settings.confirm_below == 0.6 and settings.greeting is False
    with pytest.raises(ValueError, match="VOICE_GATEWAY_TOKEN"):
        VoiceSettings.from_env({})
    with pytest.raises(ValueError, match="VOICE_WORKERS must be a number"):
        VoiceSettings.from_env({"VOICE_GATEWAY_TOKEN": "t", "VOICE_WORKERS": "many"})
    with pytest.raises(ValueError, match="VOICE_CONFIRM_BELOW must be between 0 and 1"):
        VoiceSettings.from_env({"VOICE_GATEWAY_TOKEN": "t", "VOICE_CONFIRM_BELOW": "2"})


def test_gateway_texts_use_the_shops_facts() -> None:
    assert voice_text("greeting") == "Hello, you're speaking with the Northwind Outfitters assistant. How can I help?"
    assert "still there" in voice_text("no_input")
