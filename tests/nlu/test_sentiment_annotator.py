"""SentimentAnnotator's own logic against a real little HTTP server that plays the sentiment service:
a good reply's sentiment and frustration are set on the message, and timeouts, errors, refused
connections and malformed replies give the neutral, not-frustrated fallback quickly, with
rate-limited warnings. (The real service is tested in
tests/sentiment.) Run with the Rasa venv: .venv-rasa/bin/python -m pytest tests/nlu/test_sentiment_annotator.py"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.sentiment_annotator import FRUSTRATION_FALLBACK, SentimentAnnotator, fallback

TOKEN = "test-token"
SENTIMENT = {
    "label": "negative",
    "score": -0.91,
    "probabilities": {"negative": 0.93, "neutral": 0.05, "positive": 0.02},
    "signals": {"caps_ratio": 0.9},
}
FRUSTRATION = {"score": 0.97, "frustrated": True}
GOOD = {**SENTIMENT, "frustration": FRUSTRATION}


class FakeService(BaseHTTPRequestHandler):
    """Behaviour is chosen per test through the server's `mode` attribute."""

    def do_POST(self) -> None:
        server: Any = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        mode = server.mode
        if mode == "slow":
            time.sleep(server.delay)
        if mode == "error":
            self._send(500, b'{"error": {"code": "internal_error", "message": "boom"}}')
        elif mode == "garbage":
            self._send(200, b"<html>not json</html>")
        elif mode == "bad_label":
            self._send(200, json.dumps({**GOOD, "label": "furious"}).encode())
        elif mode == "no_frustration":
            self._send(200, json.dumps(SENTIMENT).encode())
        elif mode == "bad_frustration":
            self._send(200, json.dumps({**GOOD, "frustration": {"score": 1.5, "frustrated": True}}).encode())
        elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, b'{"error": {"code": "unauthorized", "message": "token"}}')
        else:
            self._send(200, json.dumps(GOOD).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def service() -> Iterator[Any]:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), FakeService)
    server.mode = "good"
    server.delay = 1.0
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def annotator(url: str, monkeypatch: pytest.MonkeyPatch, **config: Any) -> SentimentAnnotator:
    monkeypatch.setenv("SENTIMENT_API_TOKEN", TOKEN)
    return SentimentAnnotator({**SentimentAnnotator.get_default_config(), "url": url, **config})


def parse(component: SentimentAnnotator, text: str) -> dict[str, Any]:
    message = Message(data={"text": text})
    component.process([message])
    return message.as_dict(only_output_properties=True)


def test_good_reply_is_set_on_the_message_and_in_the_output(service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    output = parse(annotator(service.url, monkeypatch), "WHERE IS MY ORDER???")
    assert output["sentiment"] == {**SENTIMENT, "source": "model"}
    assert output["frustration"] == {**FRUSTRATION, "source": "model"}
    assert service.requests == [{"path": "/score", "auth": f"Bearer {TOKEN}", "body": {"text": "WHERE IS MY ORDER???"}}]


def test_url_and_token_come_from_the_environment(service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTIMENT_URL", service.url + "/")
    monkeypatch.setenv("SENTIMENT_API_TOKEN", TOKEN)
    component = SentimentAnnotator(SentimentAnnotator.get_default_config())
    assert component.url == service.url + "/score"
    assert parse(component, "hello")["sentiment"]["source"] == "model"


def test_slow_service_times_out_to_neutral_fallback_within_the_deadline(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.mode = "slow"
    component = annotator(service.url, monkeypatch, timeout_s=0.2)
    started = time.perf_counter()
    output = parse(component, "I am furious")
    elapsed = time.perf_counter() - started
    sentiment = output["sentiment"]
    assert sentiment == fallback("timeout")
    assert output["frustration"] == {"score": 0.0, "frustrated": False, "source": "fallback"}
    assert sentiment["label"] == "neutral" and sentiment["score"] == 0.0
    assert elapsed < 0.5, f"the fallback took {elapsed:.2f} s with a 0.2 s timeout"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("error", "http 500"),
        ("garbage", "bad reply"),
        ("bad_label", "bad reply"),
        ("no_frustration", "bad reply"),
        ("bad_frustration", "bad reply"),
    ],
)
def test_errors_and_malformed_replies_fall_back(
    service: Any, monkeypatch: pytest.MonkeyPatch, mode: str, reason: str
) -> None:
    service.mode = mode
    output = parse(annotator(service.url, monkeypatch), "thanks")
    sentiment = output["sentiment"]
    assert output["frustration"] == FRUSTRATION_FALLBACK
    assert sentiment["source"] == "fallback"
    assert sentiment["label"] == "neutral"
    assert sentiment["reason"].startswith(reason)


def test_wrong_token_falls_back(service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    component = annotator(service.url, monkeypatch)
    component._token = "wrong"
    assert parse(component, "hi")["sentiment"]["reason"] == "http 401"


def test_nothing_listening_falls_back_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    sentiment = parse(annotator(f"http://127.0.0.1:{port}", monkeypatch), "hi")["sentiment"]
    assert sentiment == fallback("unreachable")
    assert time.perf_counter() - started < 0.5


def test_warnings_are_rate_limited(
    service: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    service.mode = "error"
    component = annotator(service.url, monkeypatch, warn_interval_s=0.3)
    with caplog.at_level(logging.WARNING, logger="nlu.sentiment_annotator"):
        for _ in range(5):
            parse(component, "hello")
        assert len(caplog.records) == 1
        time.sleep(0.35)
        parse(component, "hello")
    assert len(caplog.records) == 2
    assert "4 more failure(s)" in caplog.records[1].getMessage()


def test_empty_text_and_training_data_are_not_sent(service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    component = annotator(service.url, monkeypatch)
    message = Message(data={"text": "   "})
    component.process([message])
    training = TrainingData([Message(data={"text": "where is my order", "intent": "track_order"})])
    assert component.process_training_data(training) is training
    assert message.get("sentiment") is None
    assert training.training_examples[0].get("sentiment") is None
    assert service.requests == []


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        SentimentAnnotator.validate_config({"timeout_s": 0})


# ------------------------------------------------------------------ inside a real (tiny) Rasa model

TINY_DOMAIN = """version: "3.1"
intents: [greet, complain]
responses:
  utter_hello: [{text: "Hello!"}]
  utter_sorry: [{text: "Sorry about that."}]
"""
TINY_NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
- intent: complain
  examples: |
    - where is my order
    - my parcel is late
"""
TINY_RULES = """version: "3.1"
rules:
- rule: greet
  steps: [{intent: greet}, {action: utter_hello}]
- rule: complain
  steps: [{intent: complain}, {action: utter_sorry}]
"""


async def test_sentiment_reaches_parse_and_the_tracker_in_a_trained_model(
    service: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from rasa.api import train
    from rasa.core.agent import Agent
    from rasa.shared.core.events import UserUttered

    monkeypatch.setenv("SENTIMENT_URL", service.url)
    monkeypatch.setenv("SENTIMENT_API_TOKEN", TOKEN)
    (tmp_path / "domain.yml").write_text(TINY_DOMAIN)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(TINY_NLU)
    (tmp_path / "data" / "rules.yml").write_text(TINY_RULES)
    (tmp_path / "config.yml").write_text(
        "recipe: default.v1\nlanguage: en\nassistant_id: sentiment-test\npipeline:\n"
        "  - name: WhitespaceTokenizer\n  - name: KeywordIntentClassifier\n"
        "  - name: nlu.sentiment_annotator.SentimentAnnotator\n    timeout_s: 2.0\n"
        "policies:\n  - name: RulePolicy\n"
    )
    result = train(
        domain=str(tmp_path / "domain.yml"),
        config=str(tmp_path / "config.yml"),
        training_files=[str(tmp_path / "data")],
        output=str(tmp_path / "models"),
    )
    assert result.code == 0 and result.model
    assert service.requests == [], "training must not call the sentiment service"

    agent = Agent.load(result.model)
    parsed = await agent.parse_message("where is my order")
    assert parsed["intent"]["name"] == "complain"
    assert parsed["sentiment"] == {**SENTIMENT, "source": "model"}
    assert parsed["frustration"] == {**FRUSTRATION, "source": "model"}

    await agent.handle_text("where is my order", sender_id="customer-1")
    tracker = await agent.tracker_store.retrieve("customer-1")
    [uttered] = [e for e in tracker.events if isinstance(e, UserUttered)]
    assert uttered.parse_data["sentiment"]["label"] == "negative"
    assert uttered.parse_data["sentiment"]["source"] == "model"
    assert uttered.parse_data["frustration"] == {**FRUSTRATION, "source": "model"}

    service.mode, service.delay = "slow", 3.0
    await agent.handle_text("hello", sender_id="customer-1")
    tracker = await agent.tracker_store.retrieve("customer-1")
    last = [e for e in tracker.events if isinstance(e, UserUttered)][-1]
    assert last.parse_data["sentiment"]["source"] == "fallback"
    assert last.parse_data["sentiment"]["label"] == "neutral"
    assert last.parse_data["frustration"] == FRUSTRATION_FALLBACK
