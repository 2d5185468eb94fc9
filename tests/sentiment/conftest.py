"""One sentiment model per test session, built from the packaged parts into a temporary directory.

TEST_TWEETS tweets (not the production 4000) keep the build to about a minute on a busy 2-core
machine; the quality gate's floors in test_sentiment_model.py were measured on a model built this way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sentiment.build import BuildSettings, build

TEST_TWEETS = 1500
TOKEN = "sentiment-test-token"


@pytest.fixture(scope="session")
def built_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("sentiment") / "model"
    return out, build(out, BuildSettings(tweet_limit=TEST_TWEETS), threads=2)


@pytest.fixture(scope="session")
def model_dir(built_model: tuple[Path, dict[str, Any]]) -> Path:
    return built_model[0]


@pytest.fixture(scope="session")
def scorer(model_dir: Path) -> Any:
    from sentiment.service import Scorer

    return Scorer(model_dir, threads=1)
