"""Keyboard noise is told apart from requests the assistant did not understand (Rasa venv)."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.shared.nlu.training_data.message import Message

from nlu.noise_detector import NoiseDetector
from tests.nlu.shop_trained import trained_and_loaded


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> NoiseDetector:
    return trained_and_loaded(NoiseDetector, tmp_path_factory.mktemp("noise"))


def verdict(detector: NoiseDetector, text: str) -> dict:
    message = Message.build(text=text)
    detector.process([message])
    return message.get("noise")


@pytest.mark.parametrize("text", ["asdkjh qwe", "blorp", "zzzz", "qwertyuiop!!"])
def test_keyboard_noise_is_noise(detector: NoiseDetector, text: str) -> None:
    assert verdict(detector, text)["noise"] is True


@pytest.mark.parametrize(
    "text",
    ["where is my order", "wher is my ordr", "can I get it engraved?", "104532", "???", "jane@example.com"],
)
def test_requests_values_and_punctuation_are_not_noise(detector: NoiseDetector, text: str) -> None:
    assert verdict(detector, text)["noise"] is False


def test_the_verdict_says_how_many_words_were_known(detector: NoiseDetector) -> None:
    assert verdict(detector, "where is blorp") == {"noise": False, "words": 3, "known_words": 2}
