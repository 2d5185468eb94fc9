"""The sentiment service's HTTP API on the session's real model: auth, bad input, scoring; and the
real `python -m sentiment` process asked by the Rasa-side annotator (run in the Rasa venv), which
falls back to neutral once the service is gone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from sentiment.service import MAX_BATCH, MAX_CHARS, create_app, signals
from tests.sentiment.conftest import TOKEN

REPO = Path(__file__).resolve().parents[2]
RASA_PYTHON = REPO / ".venv-rasa" / "bin" / "python"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def client(aiohttp_client: Any, scorer: Any) -> TestClient:
    return await aiohttp_client(create_app(TOKEN, scorer=scorer))


async def test_health_is_public_and_scoring_needs_the_token(client: TestClient) -> None:
    health = await client.get("/health")
    assert health.status == 200
    assert (await health.json())["status"] == "ok"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        reply = await client.post("/score", json={"text": "hi"}, headers=headers)
        assert reply.status == 401
        assert reply.headers["WWW-Authenticate"] == "Bearer"
        assert (await reply.json())["error"]["code"] == "unauthorized"


async def test_score_angry_calm_and_happy(client: TestClient) -> None:
    expected = {
        "WHERE IS MY ORDER??? this is the third time I ask": "negative",
        "what's the status of order 104532?": "neutral",
        "thanks, that helps!": "positive",
    }
    for text, label in expected.items():
        reply = await client.post("/score", json={"text": text}, headers=AUTH)
        assert reply.status == 200
        body = await reply.json()
        assert body["label"] == label, (text, body)
        assert set(body) == {"label", "score", "probabilities", "signals", "frustration"}
        assert body["score"] == pytest.approx(
            body["probabilities"]["positive"] - body["probabilities"]["negative"], abs=2e-4
        )
        assert body["signals"] == signals(text)
    shouting = await (await client.post("/score", json={"text": "WHERE IS MY ORDER???"}, headers=AUTH)).json()
    assert shouting["signals"]["caps_ratio"] == 1.0 and shouting["signals"]["repeated_marks"] is True


async def test_batch_matches_single_calls(client: TestClient) -> None:
    texts = ["you lost my parcel", "do you ship to Canada", "love it, thanks"]
    batch = await client.post("/score/batch", json={"texts": texts}, headers=AUTH)
    assert batch.status == 200
    results = (await batch.json())["results"]
    for text, result in zip(texts, results, strict=True):
        single = await (await client.post("/score", json={"text": text}, headers=AUTH)).json()
        assert single["label"] == result["label"]
        assert single["score"] == pytest.approx(result["score"], abs=1e-3)
        assert single["frustration"] == pytest.approx(result["frustration"], abs=1e-3)


async def test_frustration_is_tone_not_topic(client: TestClient) -> None:
    """Issue 12: polite problem reports read `negative`; they are not upset shoppers."""
    calm = [
        "I have an issue paying with card and I would like to report it",
        "ask an agent how I could reset my password, please",
    ]
    upset = ["my fucking package never arrived and nobody answers", "WHERE IS MY REFUND", "you are useless"]
    for text in calm + upset:
        body = await (await client.post("/score", json={"text": text}, headers=AUTH)).json()
        assert set(body["frustration"]) == {"score", "frustrated"}
        assert body["frustration"]["frustrated"] is (text in upset), (text, body)
        assert body["frustration"]["frustrated"] is (body["frustration"]["score"] >= 0.5)


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/score", b"{not json", 400, None),
        ("/score", {"message": "hi"}, 422, "text"),
        ("/score", ["hi"], 422, "text"),
        ("/score", {"text": 42}, 422, "text"),
        ("/score", {"text": "   "}, 422, "text"),
        ("/score", {"text": "x" * (MAX_CHARS + 1)}, 422, "text"),
        ("/score", {"text": "hi", "lang": "en"}, 422, "lang"),
        ("/score/batch", {"texts": []}, 422, "texts"),
        ("/score/batch", {"texts": "hi"}, 422, "texts"),
        ("/score/batch", {"texts": ["ok"] * (MAX_BATCH + 1)}, 422, "texts"),
        ("/score/batch", {"texts": ["ok", ""]}, 422, "texts/1"),
    ],
)
async def test_bad_input_gets_a_clear_4xx(
    client: TestClient, path: str, body: Any, status: int, field: str | None
) -> None:
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
    reply = await client.post(path, headers=AUTH, **kwargs)
    assert reply.status == status
    error = (await reply.json())["error"]
    assert error["message"].endswith(".")
    if field:
        assert field in error["fields"]


async def test_oversized_body_and_wrong_method(client: TestClient) -> None:
    big = await client.post("/score", data=b"x" * (70 * 1024), headers=AUTH)
    assert big.status == 413
    assert (await big.json())["error"]["code"] == "payload_too_large"
    wrong = await client.get("/score", headers=AUTH)
    assert wrong.status == 405


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _annotate_from_rasa_venv(url: str, text: str, timeout_s: float = 2.0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Runs nlu.sentiment_annotator in the Rasa venv (no torch there), as the Rasa server would."""
    code = (
        "import json, sys; from nlu.sentiment_annotator import SentimentAnnotator as A; "
        f"a = A({{**A.get_default_config(), 'url': {url!r}, 'timeout_s': {timeout_s}}}); "
        "print(json.dumps(a.annotate(sys.argv[1])))"
    )
    env = {**os.environ, "SENTIMENT_API_TOKEN": TOKEN, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", code, text], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    sentiment, frustration = json.loads(done.stdout.strip().splitlines()[-1])
    return sentiment, frustration


def test_real_service_process_and_the_annotator_with_fallback(model_dir: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SENTIMENT_PORT": str(port),
        "SENTIMENT_API_TOKEN": TOKEN,
        "SENTIMENT_MODEL_DIR": str(model_dir),
        "PYTHONPATH": str(REPO),
    }
    service = subprocess.Popen([sys.executable, "-m", "sentiment"], cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=1) as reply:
                    health = json.load(reply)
                    break
            except OSError:
                assert service.poll() is None, "the sentiment service exited"
                assert time.monotonic() < deadline, "the sentiment service did not come up"
                time.sleep(0.3)
        assert health["status"] == "ok" and health["threads"] == 1
        result, frustration = _annotate_from_rasa_venv(url, "this is fucking ridiculous, where is my refund???")
        assert result["source"] == "model"
        assert result["label"] == "negative" and result["score"] < 0
        assert frustration["source"] == "model" and frustration["frustrated"] is True
    finally:
        service.terminate()
        service.wait(timeout=20)
    fallback, calm = _annotate_from_rasa_venv(url, "this is ridiculous, where is my refund???", timeout_s=0.3)
    assert fallback["source"] == "fallback" and fallback["label"] == "neutral" and fallback["score"] == 0.0
    assert calm == {"score": 0.0, "frustrated": False, "source": "fallback"}


def test_service_refuses_to_start_without_a_model_or_token(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SENTIMENT_API_TOKEN": TOKEN,
        "SENTIMENT_MODEL_DIR": str(tmp_path / "none"),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-m", "sentiment"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "python -m sentiment.build" in done.stderr
    env.pop("SENTIMENT_API_TOKEN")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    env["SENTIMENT_MODEL_DIR"] = str(tmp_path / "m")
    done = subprocess.run(
        [sys.executable, "-m", "sentiment"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0 and "SENTIMENT_API_TOKEN" in done.stderr
