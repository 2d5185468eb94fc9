"""Sentiment of every user message, from the sentiment service, in the parse data.

The sentiment model needs torch, which the Rasa venv does not have, so the model runs in its own
process (`python -m sentiment`, see docs/sentiment.md) and this component asks it over HTTP. It
sets `sentiment` (the topic's polarity) and `frustration` (the tone: a polite problem report is
negative but not frustrated) with add_to_output, so both are in /model/parse and in every
UserUttered event's parse_data in the tracker:

    "sentiment": {"label": "negative|neutral|positive", "score": -1..1, "probabilities": {...},
                  "signals": {...}, "source": "model"}
    "frustration": {"score": 0..1, "frustrated": bool, "source": "model"}

The whole call has a hard deadline (`timeout_s`, default 0.3 s): Rasa runs the NLU graph
synchronously, so a slow sentiment service must not hold the turn up. On timeout, error or a bad
reply the message gets a neutral sentiment and `{"score": 0.0, "frustrated": false}`, both with
`"source": "fallback"` (the sentiment also with a `"reason"`), and a warning
is logged at most once per `warn_interval_s` (with the number of failures since the last one).
Nothing is called during training. Settings: SENTIMENT_URL (default http://127.0.0.1:8105) and
SENTIMENT_API_TOKEN from the environment, or `url` / `timeout_s` in config.yml.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

SENTIMENT = "sentiment"
FRUSTRATION = "frustration"  # contracts/frustration.py reads it (FRUSTRATION_KEY)
LABELS = ("negative", "neutral", "positive")
DEFAULT_URL = "http://127.0.0.1:8105"
MAX_CHARS = 4000  # the service refuses longer texts; the start carries the tone anyway

# Calls run in these threads so the deadline covers connect, send and read together (a socket
# timeout alone restarts on every byte). A call that overruns finishes in the background.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sentiment-client")


def fallback(reason: str) -> dict[str, Any]:
    """What a message gets when the service cannot answer in time: neutral, and says so."""
    return {
        "label": "neutral",
        "score": 0.0,
        "probabilities": {"negative": 0.0, "neutral": 1.0, "positive": 0.0},
        "signals": {},
        "source": "fallback",
        "reason": reason,
    }


FRUSTRATION_FALLBACK = {"score": 0.0, "frustrated": False, "source": "fallback"}


def parse_reply(body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """(sentiment, frustration) from the service's JSON, checked; ValueError when it is not a result."""
    data = json.loads(body)
    if not isinstance(data, dict) or data.get("label") not in LABELS:
        raise ValueError("reply has no valid label")
    score = float(data.get("score", 0.0))
    if not -1.0 <= score <= 1.0:
        raise ValueError("score out of range")
    probabilities = data.get("probabilities")
    signals = data.get("signals")
    sentiment = {
        "label": data["label"],
        "score": score,
        "probabilities": probabilities if isinstance(probabilities, dict) else {},
        "signals": signals if isinstance(signals, dict) else {},
        "source": "model",
    }
    return sentiment, parse_frustration(data.get(FRUSTRATION))


def parse_frustration(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("frustrated"), bool):
        raise ValueError("reply has no valid frustration")
    score = float(value.get("score", -1.0))
    if not 0.0 <= score <= 1.0:
        raise ValueError("frustration score out of range")
    return {"score": score, "frustrated": value["frustrated"], "source": "model"}


class _WarningLimiter:
    """At most one warning per interval, so a service that is down does not flood the log."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._last = float("-inf")
        self._suppressed = 0
        self._lock = threading.Lock()

    def warn(self, message: str, *args: Any) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval_s:
                self._suppressed += 1
                return False
            suppressed, self._suppressed, self._last = self._suppressed, 0, now
        logger.warning(message + " (%d more failure(s) since the last warning)", *args, suppressed)
        return True


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentimentAnnotator(GraphComponent):
    """Adds the sentiment service's verdict to each parsed user message (see module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "url": None,  # None: SENTIMENT_URL, else DEFAULT_URL
            "timeout_s": 0.3,
            "warn_interval_s": 60.0,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self.url = (config.get("url") or os.environ.get("SENTIMENT_URL") or DEFAULT_URL).rstrip("/") + "/score"
        self.timeout_s = float(config["timeout_s"])
        self._token = os.environ.get("SENTIMENT_API_TOKEN", "")
        self._limiter = _WarningLimiter(float(config["warn_interval_s"]))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentimentAnnotator:
        return cls(config)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config.get("timeout_s", 0.3)) <= 0:
            raise ValueError("timeout_s must be > 0")

    def _request(self, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"text": text[:MAX_CHARS]}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            return parse_reply(response.read())

    def annotate(self, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(sentiment, frustration) for `text` from the service, or the fallbacks; never raises, never
        exceeds timeout_s by much."""
        future = _POOL.submit(self._request, text)
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout:
            reason = "timeout"
        except urllib.error.HTTPError as error:
            reason = f"http {error.code}"
        except (urllib.error.URLError, OSError) as error:
            reason = "timeout" if "timed out" in str(error) else "unreachable"
        except (ValueError, TypeError) as error:
            reason = f"bad reply: {error}"
        self._limiter.warn("sentiment service %s failed (%s); using neutral", self.url, reason)
        return fallback(reason), dict(FRUSTRATION_FALLBACK)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text.strip():
                sentiment, frustration = self.annotate(text)
                message.set(SENTIMENT, sentiment, add_to_output=True)
                message.set(FRUSTRATION, frustration, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples need no sentiment, and training must not depend on the service."""
        return training_data
