"""Property-based API tests of the order backend: schemathesis generates requests for every operation
in its /openapi.json and checks that the live service never fails with a 5xx and answers with the
statuses, content types and bodies the spec declares; derandomized, on SQLite and PostgreSQL (which
enforces column types and lengths that SQLite lets through)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.specs.openapi.checks import positive_data_acceptance

from backends.orders.app import create_app
from backends.orders.openapi import build_spec
from tests.backends.live_app import serving
from tests.support.postgres import postgres_server  # noqa: F401 - session fixture

TOKEN = "orders-schemathesis-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
schema = schemathesis.openapi.from_dict(build_spec())
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "hypothesis-orders-tests"))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        db_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('orders') / 'orders.sqlite'}"
    else:
        db_url = request.getfixturevalue("postgres_server").create_database()
    with serving(create_app(db_url, TOKEN), "orders") as url:
        yield url


@schema.parametrize()
@hypothesis.settings(
    max_examples=25, deadline=None, database=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_api_conforms_to_its_openapi(case: schemathesis.Case, live_url: str) -> None:
    # An address's meaning (a postcode valid for its country, a city with letters) is checked beyond
    # what JSON Schema can say, so there a schema-valid body may rightly get a 422.
    cross_field = case.operation.path == "/orders/{order_number}/shipping-address"
    case.call_and_validate(
        base_url=live_url, headers=AUTH, excluded_checks=[positive_data_acceptance] if cross_field else []
    )
