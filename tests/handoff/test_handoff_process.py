"""`python -m handoff` and `python -m handoff.agents` as real processes: settings, the first admin,
agents created from the command line, and refusing to start without a token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.handoff.handoff_support import TOKEN, handoff_body
from tests.support.servers import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env.update(
        PYTHONPATH=str(REPO),
        HANDOFF_DB_URL=f"sqlite+aiosqlite:///{tmp_path / 'handoff.sqlite'}",
        HANDOFF_AGENT_HOURS="always",
        RASA_URL="http://127.0.0.1:9",
    )
    env.update(extra)
    return env


def call(url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers


def up(url: str) -> bool:
    try:
        return call(url)[0] == 200
    except OSError:
        return False


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    env = base_env(
        tmp_path,
        HANDOFF_API_TOKEN=TOKEN,
        HANDOFF_PORT=str(port),
        HANDOFF_ADMIN_PASSWORD="first admin password",
        HANDOFF_SESSION_SECRET="x" * 40,
        HANDOFF_RELAY_TOKEN="relay",
    )
    log = (tmp_path / "handoff.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "handoff"], cwd=REPO, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: up(url + "/health") or process.poll() is not None, 30, "the handoff desk")
        assert process.poll() is None, (tmp_path / "handoff.log").read_text()
        yield url, env
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) is not None
        log.close()


def test_service_starts_with_an_admin_and_serves_both_sides(server: tuple[str, dict[str, str]]) -> None:
    url, _ = server
    status, health, _ = call(url + "/health")
    assert status == 200 and health["database"] == "ok"
    status, spec, _ = call(url + "/openapi.json")
    assert status == 200 and "/api/handoffs" in spec["paths"]
    status, ticket, _ = call(url + "/api/handoffs", handoff_body(), {"Authorization": f"Bearer {TOKEN}"})
    assert status == 201 and ticket["status"] == "waiting"
    status, me, headers = call(url + "/desk/api/login", {"name": "admin", "password": "first admin password"})
    assert status == 200 and me["name"] == "admin"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    status, queue, _ = call(url + "/desk/api/queue", headers={"Cookie": cookie.split(";")[0]})
    assert status == 200 and [t["ticket_id"] for t in queue["tickets"]] == [ticket["ticket_id"]]


def test_agents_cli_adds_an_agent_who_can_log_in(server: tuple[str, dict[str, str]]) -> None:
    url, env = server
    cli_env = {**env, "HANDOFF_NEW_AGENT_PASSWORD": "bea's long password"}
    command = [sys.executable, "-m", "handoff.agents"]
    added = subprocess.run(
        [*command, "add", "Bea", "--display-name", "Bea"], env=cli_env, cwd=REPO, capture_output=True, text=True
    )
    assert added.returncode == 0, added.stderr
    again = subprocess.run([*command, "add", "bea"], env=cli_env, cwd=REPO, capture_output=True, text=True)
    assert again.returncode != 0 and "exists" in again.stderr
    listed = subprocess.run([*command, "list"], env=cli_env, cwd=REPO, capture_output=True, text=True)
    assert "bea\tBea\tactive" in listed.stdout and "admin" in listed.stdout
    short = subprocess.run(
        [*command, "add", "cy"],
        env={**cli_env, "HANDOFF_NEW_AGENT_PASSWORD": "short"},
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert short.returncode != 0 and "at least 8" in short.stderr
    status, me, _ = call(url + "/desk/api/login", {"name": "bea", "password": "bea's long password"})
    assert status == 200 and me["display_name"] == "Bea"
    disabled = subprocess.run([*command, "disable", "bea"], env=cli_env, cwd=REPO, capture_output=True, text=True)
    assert disabled.returncode == 0
    status, _, _ = call(url + "/desk/api/login", {"name": "bea", "password": "bea's long password"})
    assert status == 401


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "HANDOFF_API_TOKEN is not set"),
        ({"HANDOFF_API_TOKEN": "t", "HANDOFF_AGENT_HOURS": "weekdays"}, "HANDOFF_AGENT_HOURS"),
        ({"HANDOFF_API_TOKEN": "t", "HANDOFF_CONNECTORS": "carrier-pigeon"}, "HANDOFF_CONNECTORS"),
    ],
)
def test_bad_configuration_stops_the_start_with_a_reason(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "handoff"],
        env=base_env(tmp_path, **extra),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and message in result.stderr
