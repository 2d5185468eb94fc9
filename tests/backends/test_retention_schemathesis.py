"""Property-based API tests: schemathesis generates requests from /openapi.json and checks that the
live retention service never fails with a 5xx and answers with the statuses, content types and bodies
the spec declares (on SQLite and PostgreSQL)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir

from backends.retention.app import create_app
from backends.retention.openapi import build_spec
from tests.backends.live_app import serving
from tests.support.postgres import postgres_server  # noqa: F401 - session fixture

TOKEN = "retention-test-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
schema = schemathesis.openapi.from_dict(build_spec())
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "hypothesis-retention-tests"))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        db_url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('retention')) / 'retention.sqlite'}"
    else:
        db_url = request.getfixturevalue("postgres_server").create_database()
    with serving(create_app(db_url, TOKEN), "retention") as url:
        yield url


@schema.parametrize()
@hypothesis.settings(
    max_examples=25, deadline=None, database=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_api_conforms_to_its_openapi(case: schemathesis.Case, live_url: str) -> None:
    case.call_and_validate(base_url=live_url, headers=AUTH)
