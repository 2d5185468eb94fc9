"""The launcher's side of the event stream: off by default, refused when it cannot work, and with the
analytics consumer as a supervised process when it is on."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from unittest import mock

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bot"))
import launcher  # noqa: E402  (bot/launcher.py is a stdlib script, not a package)


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    with mock.patch.dict(os.environ, variables, clear=True):
        return launcher.environment(tmp_path)


def names(env: dict[str, str]) -> list[str]:
    return [process.name for process in launcher.processes(env)]


def test_the_stream_is_off_by_default(tmp_path: Path) -> None:
    env = environment(tmp_path, ASSISTANT_STORE="postgres")
    assert env["ASSISTANT_EVENT_BROKER"] == "none"
    assert not launcher.check_event_broker(env)
    assert "analytics-stream" not in names(env) and "ANALYTICS_STREAM_PORT" not in env
    assert "EVENT_BROKER_PASSWORD" not in env, "the password is the operator's, never a default"


@pytest.mark.parametrize(
    ("variables", "said"),
    [
        ({"ASSISTANT_EVENT_BROKER": "kafka", "ASSISTANT_STORE": "postgres"}, "must be `rabbitmq` or `none`"),
        ({"ASSISTANT_EVENT_BROKER": "rabbitmq", "EVENT_BROKER_PASSWORD": "pw"}, "needs ASSISTANT_STORE=postgres"),
        ({"ASSISTANT_EVENT_BROKER": "rabbitmq", "ASSISTANT_STORE": "postgres"}, "needs EVENT_BROKER_PASSWORD"),
    ],
)
def test_a_setting_that_cannot_work_stops_the_start(tmp_path: Path, variables: dict[str, str], said: str) -> None:
    with pytest.raises(SystemExit, match=said):
        launcher.check_stores_reachable(environment(tmp_path, **variables))


def test_on_it_adds_the_analytics_consumer(tmp_path: Path) -> None:
    env = environment(
        tmp_path, ASSISTANT_STORE="postgres", ASSISTANT_EVENT_BROKER="rabbitmq", EVENT_BROKER_PASSWORD="pw"
    )
    assert launcher.check_event_broker(env)
    (consumer,) = [process for process in launcher.processes(env) if process.name == "analytics-stream"]
    assert consumer.command[-2:] == ["-m", "analytics.stream_events"]
    assert consumer.health_url == f"http://127.0.0.1:{env['ANALYTICS_STREAM_PORT']}/health"
