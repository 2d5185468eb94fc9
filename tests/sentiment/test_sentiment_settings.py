"""SENTIMENT_* variables: defaults, the model folder under ASSISTANT_VAR, and wrong values named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sentiment.settings import SentimentSettings
from settings_kit.settings import InvalidSetting


def test_the_model_folder_follows_the_state_directory_unless_set() -> None:
    assert SentimentSettings.from_env({"ASSISTANT_VAR": "/srv/shop"}).model_folder == Path("/srv/shop/models/sentiment")
    chosen = SentimentSettings.from_env({"ASSISTANT_VAR": "/srv/shop", "SENTIMENT_MODEL_DIR": "/models/s"})
    assert chosen.model_folder == Path("/models/s")
    defaults = SentimentSettings.from_env({})
    assert (defaults.threads, defaults.build_threads) == (1, 2)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SENTIMENT_THREADS": "0"}, "SENTIMENT_THREADS must be between 1 and 16 (got '0')"),
        ({"SENTIMENT_THREADS": "two"}, "SENTIMENT_THREADS must be a number (got 'two')"),
        ({"SENTIMENT_BUILD_THREADS": "99"}, "SENTIMENT_BUILD_THREADS must be between 1 and 16 (got '99')"),
    ],
)
def test_a_wrong_value_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidSetting, match=re.escape(message)):
        SentimentSettings.from_env(env)
