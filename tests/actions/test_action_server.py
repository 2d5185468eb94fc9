"""The action server answers only Rasa (actions/server.py), tested on a real server process.

The server is started the way the launcher starts it (``python -m actions.server``), so the token
guard is tested in the Sanic worker process rasa-sdk spawns, where it must be attached again. The
action package is a module without actions: a request that passes the guard gets rasa-sdk's own
404 "action not found", one that does not gets the guard's 401/403/415.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import psutil
import pytest
import requests

from actions.server import Refusal, configured_token

REPO = Path(__file__).resolve().parents[2]
TOKEN = "actions-token-" + "a" * 40
CALL = json.dumps({"next_action": "action_cancel_everything", "sender_id": "x", "tracker": {}, "domain": {}})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(port: int, output: IO[str] | int = subprocess.PIPE, **env: str) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if k != "ACTIONS_API_TOKEN"}
    environment.update(PYTHONPATH=str(REPO), SANIC_WORKERS="1", **env)
    command = [sys.executable, "-m", "actions.server", "--actions", "actions.server", "--port", str(port)]
    return subprocess.Popen(command, cwd=REPO, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The server's base URL and its process."""
    port = free_port()
    log = tmp_path_factory.mktemp("actions") / "server.log"
    with log.open("w") as output:
        process = start(port, output, ACTIONS_API_TOKEN=TOKEN)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # bound, but the worker is not serving yet
                time.sleep(0.2)
        else:
            pytest.fail(f"the action server did not start within 60 s:\n{log.read_text()}")
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(running: tuple[str, subprocess.Popen[str]]) -> str:
    return running[0]


def test_one_worker_is_served_in_the_started_process(running: tuple[str, subprocess.Popen[str]]) -> None:
    """No Sanic worker manager, worker process or multiprocessing helpers for one worker (about
    127 MiB RSS: docs/benchmarks.md, memory)."""
    base, process = running
    assert requests.get(base + "/health", timeout=5).status_code == 200
    assert psutil.Process(process.pid).children(recursive=True) == []


def post(base: str, headers: dict[str, str], body: str = CALL) -> requests.Response:
    return requests.post(base + "/webhook", data=body.encode(), headers=headers, timeout=10)


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_rasas_call_with_the_token_reaches_rasa_sdk(server: str) -> None:
    response = post(server, {"Content-Type": "application/json", **bearer()})
    assert response.status_code == 404 and "action_cancel_everything" in response.text  # rasa-sdk's answer


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("wrong"), bearer(TOKEN + "x"), bearer(TOKEN[:-1]), {"Authorization": TOKEN}, bearer("")],
    ids=["none", "wrong", "longer", "shorter", "no scheme", "empty"],
)
def test_a_call_without_the_token_is_refused(server: str, headers: dict[str, str]) -> None:
    response = post(server, {"Content-Type": "application/json", **headers})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_a_body_that_is_not_json_is_refused(server: str, content_type: str) -> None:
    response = post(server, {"Content-Type": content_type, **bearer()})
    assert response.status_code == 415


def test_json_with_a_charset_is_json(server: str) -> None:
    assert post(server, {"Content-Type": "application/json; charset=utf-8", **bearer()}).status_code == 404


def test_anything_a_browser_sends_is_refused(server: str) -> None:
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null", **bearer()}):
        response = post(server, {"Content-Type": "text/plain", **headers})
        assert response.status_code == 403, headers
        assert "Access-Control-Allow-Origin" not in response.headers
    response = requests.options(
        server + "/webhook",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_health_stays_open_and_the_action_list_does_not(server: str) -> None:
    assert requests.get(server + "/health", timeout=10).json() == {"status": "ok"}
    assert requests.get(server + "/actions", timeout=10).status_code == 401
    assert requests.get(server + "/actions", headers=bearer(), timeout=10).status_code == 200


def test_the_server_does_not_start_without_a_token() -> None:
    for env in ({}, {"ACTIONS_API_TOKEN": "short"}):
        process = start(free_port(), **env)
        output, _ = process.communicate(timeout=60)
        assert process.returncode != 0 and "ACTIONS_API_TOKEN" in output, output[-500:]


def test_configured_token() -> None:
    assert configured_token({"ACTIONS_API_TOKEN": TOKEN}) == TOKEN
    with pytest.raises(SystemExit):
        configured_token({})
    assert Refusal(401, "unauthorized", "x").status == 401
