"""Property-based API tests of the handoff desk's service API (the bot's side, /api/*): schemathesis
generates requests for every operation in its /openapi.json and checks that the live desk never fails
with a 5xx and answers with the statuses, content types and bodies the spec declares; derandomized, on
SQLite and PostgreSQL. The agents' desk (/desk/*) is a cookie-session browser app outside the spec."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.config import SchemathesisConfig

from handoff.app import create_app
from handoff.openapi import LAST_UNIX_SECOND, build_spec
from tests.backends.live_app import serving
from tests.handoff.handoff_support import API, Desk, FakeRelay, handoff_body, make_settings, unreachable_orders


def config_with_413_as_a_refusal() -> SchemathesisConfig:
    """A body over the desk's 512 KiB limit (a transcript past its maxItems of long lines) is refused
    with the declared 413 before it is read; schemathesis's default refusal statuses lack 413."""
    defaults = SchemathesisConfig.discover().projects.default.checks.negative_data_rejection.expected_statuses
    return SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": [*defaults, "413"]}}}
    )


schema = schemathesis.openapi.from_dict(build_spec(), config=config_with_413_as_a_refusal())
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "hypothesis-handoff-tests"))


@pytest.fixture(scope="module")
def relay_url() -> Iterator[str]:
    with serving(FakeRelay().app(), "fake Rasa relay") as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, relay_url: str) -> Iterator[str]:
    if request.param == "sqlite":
        db_url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('handoff') / 'handoff.sqlite'}"
    else:
        db_url = request.getfixturevalue("postgres_server").create_database("handoff")
    app = create_app(make_settings(db_url, relay_url), connectors=[], env={}, orders=unreachable_orders)
    with serving(app, "handoff desk") as url:
        yield url


@schema.parametrize()
@hypothesis.settings(
    max_examples=25, deadline=None, database=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_api_conforms_to_its_openapi(case: schemathesis.Case, live_url: str) -> None:
    case.call_and_validate(base_url=live_url, headers=API)


# Regression tests for what schemathesis turned up, on SQLite and PostgreSQL (the `desk` fixture).


async def shopper_says(desk: Desk, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await desk.client.post("/api/conversations/conv-1/messages", json=body, headers=API)
    return response.status, await response.json()


@pytest.mark.parametrize(
    "timestamp", ["", "2026-03-04", "2026-03-04T10:00:00", "20260304T100000Z", "2026-13-04T10:00:00Z", "yesterday"]
)
async def test_string_timestamps_must_be_rfc3339_date_times(desk: Desk, timestamp: str) -> None:
    await desk.handoff()
    status, body = await shopper_says(desk, {"text": "hello?", "timestamp": timestamp})
    assert status == 422 and "timestamp" in body["error"]["message"], body
    history = [{"timestamp": timestamp, "score": -0.5, "label": "negative"}]
    response = await desk.client.post(
        "/api/handoffs", json=handoff_body("conv-2", sentiment_history=history), headers=API
    )
    assert response.status == 422, await response.text()


async def test_rfc3339_timestamps_are_read_as_utc(desk: Desk) -> None:
    ticket = await desk.handoff()
    for timestamp in ("2026-03-04t11:30:00+01:30", "2026-03-04T10:00:00Z"):
        status, body = await shopper_says(desk, {"text": f"sent {timestamp}", "timestamp": timestamp})
        assert status == 201, body
    messages = (await desk.service.store.ticket(ticket["ticket_id"]))["messages"]
    assert [m["created_at"] for m in messages if m["text"].startswith("sent")] == ["2026-03-04T10:00:00.000Z"] * 2


async def test_numeric_timestamps_end_with_the_last_second_python_can_hold(desk: Desk) -> None:
    await desk.handoff()
    status, body = await shopper_says(desk, {"text": "late", "timestamp": LAST_UNIX_SECOND})
    assert status == 201, body
    status, body = await shopper_says(desk, {"text": "later", "timestamp": LAST_UNIX_SECOND + 1})
    assert status == 422 and "timestamp" in body["error"]["fields"], body


async def test_nul_characters_are_dropped_not_a_database_failure(desk: Desk) -> None:
    transcript = [{"role": "user", "text": "where\x00 is it", "timestamp": 1763900000.0}]
    ticket = await desk.handoff("conv-1\x00", transcript=transcript, customer={"name": "Jane\x00"})
    status, body = await shopper_says(desk, {"text": "hello\x00?", "key": "k\x00"})
    assert status == 201, body
    stored = await desk.service.store.ticket(ticket["ticket_id"])
    assert stored["conversation_id"] == "conv-1" and stored["customer"]["name"] == "Jane"
    assert [m["text"] for m in stored["messages"] if m["role"] == "user"] == ["where is it", "hello?"]
