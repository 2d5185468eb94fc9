"""The sentiment service: scores user messages with the model built by sentiment/build.py.

The Rasa process cannot import torch, so sentiment runs here, behind HTTP, and Rasa's
nlu/sentiment_annotator.py asks with a short timeout and falls back to neutral. Routes:

- `POST /score {"text": "..."}` -> {"label", "score", "probabilities", "signals", "frustration"};
  `score` is P(positive) - P(negative), in [-1, 1]; `frustration` is {"score": 0..1, "frustrated"}:
  tone, not topic, from a second head on the same encoder pass (sentiment/frustration.py);
- `POST /score/batch {"texts": [...]}` -> {"results": [...]} (at most MAX_BATCH texts);
- `GET /health` (no token): whether the model is loaded;
- `GET /openapi.json` (no token): the OpenAPI 3.1 description (sentiment/openapi.py).

Inference runs in a one-worker executor, off the event loop: the model is not meant to be called
from several threads at once, and torch parallelises inside a call (SENTIMENT_THREADS, default 1).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import web

from sentiment.build import MAX_TOKENS
from sentiment.data import LABELS
from sentiment.frustration import FrustrationHead, frustration
from sentiment.metrics import count_scored
from sentiment.onnx_form import OnnxAnalyser
from sentiment.openapi import TEXT_PATTERN, build_spec
from sentiment.settings import SentimentSettings
from service_kit.app import MAX_BODY_BYTES
from service_kit.errors import BadRequest, DomainError, Invalid, Unavailable
from service_kit.http import SPEC, TOKEN, auth_middleware, make_error_middleware, read_json, serve_spec
from service_kit.observability import instrument

logger = logging.getLogger(__name__)

MAX_CHARS = 4000
MAX_BATCH = 64
SCORER = web.AppKey("scorer", dict)  # {"scorer": Scorer | None}: filled in when the app starts
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
_LETTER = re.compile(r"[A-Za-z]")
_REPEATED_MARKS = re.compile(r"[!?]{2,}")
_NOT_BLANK = re.compile(TEXT_PATTERN)  # the spec's own pattern, so both say the same


def signals(text: str) -> dict[str, Any]:
    """Surface cues the uncased encoder cannot see (it lower-cases everything), for callers that
    weigh them themselves, plus VADER's lexicon score as a second opinion."""
    letters = _LETTER.findall(text)
    upper = sum(1 for c in letters if c.isupper())
    return {
        "caps_ratio": round(upper / len(letters), 3) if len(letters) >= 4 else 0.0,
        "exclamations": text.count("!"),
        "questions": text.count("?"),
        "repeated_marks": bool(_REPEATED_MARKS.search(text)),
        "vader_compound": round(_vader().polarity_scores(text)["compound"], 4),
    }


_VADER: Any = None


def _vader() -> Any:
    global _VADER
    if _VADER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _VADER = SentimentIntensityAnalyzer()
    return _VADER


def model_labels(model_dir: Path) -> list[str]:
    """The classes of the saved classifier in output order (its config.json), checked against LABELS."""
    config_file = Path(model_dir) / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(
            f"no sentiment model in {model_dir}; build it with `python -m sentiment.build --out {model_dir}`"
        )
    id2label = json.loads(config_file.read_text(encoding="utf-8"))["id2label"]
    labels = [id2label[str(i)] for i in range(len(id2label))]
    if set(labels) != set(LABELS):
        raise ValueError(f"{model_dir} predicts {sorted(labels)}, expected {list(LABELS)}")
    return labels


class TorchAnalyser:
    """The saved Hugging Face classifier run by torch (SENTIMENT_ENGINE=torch): the reference the ONNX
    forms are measured against, and what `transformers.pipeline(...)` would compute."""

    def __init__(self, model_dir: Path, labels: list[str], threads: int = 1) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.set_num_threads(max(1, threads))
        self._tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self._model = AutoModelForSequenceClassification.from_pretrained(str(model_dir)).eval()
        self._labels = labels
        self._frustration = FrustrationHead.load(Path(model_dir))

    def analyse(self, texts: list[str]) -> tuple[list[dict[str, float]], list[float]]:
        """Texts one at a time, as `pipeline(...)` does: no padding, so a text scores the same alone or
        in a batch."""
        import torch

        probabilities: list[dict[str, float]] = []
        cls = []
        with torch.inference_mode():
            for text in texts:
                encoded = self._tokenizer(text, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
                output = self._model(**encoded, output_hidden_states=True)
                row = output.logits[0].softmax(-1)
                probabilities.append({label: float(p) for label, p in zip(self._labels, row, strict=True)})
                cls.append(output.hidden_states[-1][:, 0])
        return probabilities, self._frustration.probabilities(torch.cat(cls)) if cls else []


class Scorer:
    """The built model, loaded once per process: one encoder pass per text feeds both heads (the
    sentiment classifier's own and the frustration head on the same final [CLS] vector), in
    onnxruntime (sentiment/onnx_form.py) or torch, as SENTIMENT_ENGINE says."""

    def __init__(self, model_dir: Path, threads: int = 1, engine: str | None = None) -> None:
        started = time.perf_counter()
        self.model_dir = Path(model_dir)
        self.threads = threads
        self.engine = engine or SentimentSettings.from_env().engine
        labels = model_labels(self.model_dir)
        self._analyser: TorchAnalyser | OnnxAnalyser = (
            TorchAnalyser(self.model_dir, labels, threads)
            if self.engine == "torch"
            else OnnxAnalyser(self.model_dir, labels, max_tokens=MAX_TOKENS, engine=self.engine, threads=threads)
        )
        self.load_seconds = time.perf_counter() - started

    def analyse(self, texts: list[str]) -> tuple[list[dict[str, float]], list[float]]:
        """(sentiment probabilities, the frustration head's P(frustrated)) per text, one encoder pass."""
        return self._analyser.analyse(texts)

    def probabilities(self, texts: list[str]) -> list[dict[str, float]]:
        return self.analyse(texts)[0]

    def score(self, texts: list[str]) -> list[dict[str, Any]]:
        probabilities, frustrated = self.analyse(texts)
        return [result(text, probs, head) for text, probs, head in zip(texts, probabilities, frustrated, strict=True)]


def result(text: str, probabilities: dict[str, float], frustration_probability: float) -> dict[str, Any]:
    """The reply for one text; the label is the most probable class."""
    label = max(LABELS, key=lambda name: probabilities.get(name, 0.0))
    return {
        "label": label,
        "score": round(probabilities.get("positive", 0.0) - probabilities.get("negative", 0.0), 4),
        "probabilities": {name: round(probabilities.get(name, 0.0), 4) for name in LABELS},
        "signals": signals(text),
        "frustration": frustration(text, frustration_probability),
    }


def _checked_text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string.", {field: "must be a string"})
    if not _NOT_BLANK.search(value):
        raise Invalid(f"{field} must not be empty.", {field: "must not be empty"})
    if len(value) > MAX_CHARS:
        raise Invalid(f"{field} is longer than {MAX_CHARS} characters.", {field: f"at most {MAX_CHARS} characters"})
    return value


async def _body(request: web.Request, key: str) -> Any:
    data = await read_json(request, BadRequest)
    if not isinstance(data, dict) or key not in data:
        raise Invalid(f'The body must be a JSON object with "{key}".', {key: "required"})
    extra = sorted(set(data) - {key})
    if extra:
        raise Invalid(f"Unknown field(s): {', '.join(extra)}.", {name: "unknown field" for name in extra})
    return data[key]


async def _run(request: web.Request, texts: list[str]) -> list[dict[str, Any]]:
    scorer = request.app[SCORER]["scorer"]
    if scorer is None:
        raise Unavailable("The sentiment model is not loaded yet.", code="model_unavailable")
    loop = asyncio.get_running_loop()
    results: list[dict[str, Any]] = await loop.run_in_executor(request.app[EXECUTOR], scorer.score, texts)
    count_scored(results)
    return results


routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    scorer: Any = request.app[SCORER]["scorer"]
    if scorer is None:
        return web.json_response({"status": "loading"}, status=503)
    return web.json_response(
        {"status": "ok", "model_dir": str(scorer.model_dir), "labels": list(LABELS), "threads": scorer.threads}
    )


routes.get("/openapi.json")(serve_spec)


@routes.post("/score")
async def score(request: web.Request) -> web.Response:
    text = _checked_text(await _body(request, "text"), "text")
    return web.json_response((await _run(request, [text]))[0])


@routes.post("/score/batch")
async def score_batch(request: web.Request) -> web.Response:
    texts = await _body(request, "texts")
    if not isinstance(texts, list) or not 1 <= len(texts) <= MAX_BATCH:
        raise Invalid(f"texts must be a list of 1 to {MAX_BATCH} strings.", {"texts": f"1 to {MAX_BATCH} strings"})
    checked = [_checked_text(text, f"texts/{i}") for i, text in enumerate(texts)]
    return web.json_response({"results": await _run(request, checked)})


def create_app(
    api_token: str, *, scorer: Scorer | None = None, model_dir: Path | None = None, threads: int = 1
) -> web.Application:
    """Either a ready `scorer` (tests) or a `model_dir` loaded when the app starts."""
    if not api_token:
        raise ValueError("an API token is required")
    if scorer is None and model_dir is None:
        raise ValueError("a scorer or a model directory is required")
    error_middleware = make_error_middleware(
        DomainError, Unavailable("The sentiment model is not available.", code="model_unavailable"), log=logger
    )
    app = web.Application(middlewares=[error_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES)
    instrument(app)
    app[TOKEN] = api_token
    app[SPEC] = build_spec(MAX_CHARS, MAX_BATCH)
    app.add_routes(routes)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentiment")
    app[EXECUTOR] = executor
    slot: dict[str, Any] = {"scorer": scorer}
    app[SCORER] = slot

    async def load(app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        if slot["scorer"] is None and model_dir is not None:
            loaded = await loop.run_in_executor(executor, Scorer, model_dir, threads)
            logger.info("sentiment model %s loaded in %.1f s (%d thread(s))", model_dir, loaded.load_seconds, threads)
            slot["scorer"] = loaded
        # the first call pays for lazy initialisation; do it now, not on a customer's message
        await loop.run_in_executor(executor, slot["scorer"].score, ["warm up"])

    async def close(app: web.Application) -> None:
        executor.shutdown(wait=False, cancel_futures=True)

    app.on_startup.append(load)
    app.on_cleanup.append(close)
    return app
