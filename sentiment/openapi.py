"""The OpenAPI 3.1 description of the sentiment service (served at /openapi.json).

service.py checks bodies by hand (its error fields name the failing list item); the limits here are
its constants, so the document says exactly what the service accepts, and the schemathesis test
(tests/sentiment/test_sentiment_schemathesis.py) checks real replies against it."""

from __future__ import annotations

from functools import partial
from typing import Any

from sentiment.data import LABELS
from sentiment.frustration import THRESHOLD
from service_kit import openapi as common
from service_kit.openapi import ERROR_SCHEMA, NOT_BLANK_PATTERN, obj, ref

# service.py checks texts with this same pattern (shared with the other services' specs).
TEXT_PATTERN = NOT_BLANK_PATTERN
PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}


def text_schema(max_chars: int) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": max_chars,
        "pattern": TEXT_PATTERN,
        "description": "A shopper message; longer than the model's window is truncated, not refused",
    }


def schemas(max_chars: int, max_batch: int) -> dict[str, Any]:
    return {
        "Error": ERROR_SCHEMA,
        "Health": obj(
            {
                "status": {"type": "string", "enum": ["ok"]},
                "model_dir": {"type": "string"},
                "labels": {"type": "array", "items": {"type": "string", "enum": list(LABELS)}},
                "threads": {"type": "integer", "minimum": 1},
            }
        ),
        "Loading": obj({"status": {"type": "string", "enum": ["loading"]}}),
        "ScoreRequest": obj({"text": text_schema(max_chars)}),
        "BatchRequest": obj(
            {"texts": {"type": "array", "minItems": 1, "maxItems": max_batch, "items": text_schema(max_chars)}}
        ),
        "Score": obj(
            {
                "label": {"type": "string", "enum": list(LABELS)},
                "score": {"type": "number", "minimum": -1, "maximum": 1, "description": "P(positive) - P(negative)"},
                "probabilities": obj({name: PROBABILITY for name in LABELS}),
                "signals": obj(
                    {
                        "caps_ratio": {"type": "number", "minimum": 0, "maximum": 1},
                        "exclamations": {"type": "integer", "minimum": 0},
                        "questions": {"type": "integer", "minimum": 0},
                        "repeated_marks": {"type": "boolean"},
                        "vader_compound": {"type": "number", "minimum": -1, "maximum": 1},
                    }
                ),
                "frustration": obj(
                    {
                        "score": {**PROBABILITY, "description": "How upset the tone is (not the topic)"},
                        "frustrated": {"type": "boolean", "description": f"score >= {THRESHOLD}"},
                    }
                ),
            }
        ),
        "BatchScore": obj({"results": {"type": "array", "items": ref("Score")}}),
    }


ERRORS = {**common.ERROR_DESCRIPTIONS, "503": "The model is not loaded (yet)"}
_operation = partial(common.operation, error_descriptions=ERRORS, errors=("400", "401", "413", "422", "503"))


def build_spec(max_chars: int, max_batch: int, port: int = 8105) -> dict[str, Any]:
    health = common.operation("Whether the model is loaded", "Health", error_descriptions={}, errors=(), public=True)
    health["responses"]["503"] = {
        "description": "The model is still loading",
        "content": {"application/json": {"schema": ref("Loading")}},
    }
    paths = {
        "/health": {"get": health},
        "/openapi.json": {"get": common.SPEC_OPERATION},
        "/score": {"post": _operation("Score one message", "Score", body="ScoreRequest")},
        "/score/batch": {
            "post": _operation(f"Score 1 to {max_batch} messages in one model call", "BatchScore", body="BatchRequest")
        },
    }
    description = (
        "Scores shopper messages (negative/neutral/positive, and frustration: tone, not topic) for the "
        "Rasa sentiment annotator, which asks with a short timeout and falls back to neutral."
    )
    return common.document("Sentiment service", description, port, paths, {"schemas": schemas(max_chars, max_batch)})
