"""Property-based API tests of the sentiment service: schemathesis generates requests for every
operation in its /openapi.json and checks that the live service, on a real model, never fails with a
5xx and answers with the statuses, content types and bodies the spec declares; derandomized."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir

from sentiment.build import BuildSettings, default_model_dir, fingerprint, is_current
from sentiment.openapi import build_spec
from sentiment.service import MAX_BATCH, MAX_CHARS, _checked_text, create_app
from service_kit.errors import Invalid
from tests.backends.live_app import serving
from tests.sentiment.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
schema = schemathesis.openapi.from_dict(build_spec(MAX_CHARS, MAX_BATCH))
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "hypothesis-sentiment-tests"))


def model_for_api_tests(request: pytest.FixtureRequest) -> Path:
    """Any built model will do for API behaviour: the one `launcher setup` built when it is current,
    else the session's test model (conftest.py), so the test never depends on a prior setup."""
    built = default_model_dir()
    if is_current(built, fingerprint(BuildSettings())):
        return built
    return request.getfixturevalue("model_dir")


@pytest.fixture(scope="module")
def live_url(request: pytest.FixtureRequest) -> Iterator[str]:
    with serving(create_app(TOKEN, model_dir=model_for_api_tests(request)), "sentiment", start_timeout_s=120) as url:
        yield url


@schema.parametrize()
@hypothesis.settings(
    max_examples=25, deadline=None, database=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_api_conforms_to_its_openapi(case: schemathesis.Case, live_url: str) -> None:
    case.call_and_validate(base_url=live_url, headers=AUTH)


# Regression tests for what schemathesis turned up.


def test_spec_is_served_without_the_token(live_url: str) -> None:
    reply = requests.get(f"{live_url}/openapi.json", timeout=10)
    assert reply.status_code == 200 and reply.json() == build_spec(MAX_CHARS, MAX_BATCH)


def test_blank_means_the_same_to_the_service_and_to_its_spec() -> None:
    """JSON Schema patterns are ECMA 262 regexes, whose `\\s` lacks \\x1c-\\x1f that str.isspace()
    counts; jsonschema_rs reads them so (schemathesis's generator did too and sent "\\x1e")."""
    spec = build_spec(MAX_CHARS, MAX_BATCH)
    text = jsonschema_rs.validator_for(spec["components"]["schemas"]["ScoreRequest"]["properties"]["text"])
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue  # lone surrogates cannot cross into Rust
        service_refuses = char.isspace()
        try:
            _checked_text(char, "text")
        except Invalid:
            assert service_refuses, repr(char)
        else:
            assert not service_refuses, repr(char)
        assert text.is_valid(char) != service_refuses, repr(char)
