"""The launcher's process commands and secrets, without starting anything."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bot"))

import launcher  # noqa: E402  (bot/launcher.py is a stdlib script, not a package)


def test_a_token_starting_with_a_dash_reaches_rasa_as_the_tokens_value(tmp_path: Path) -> None:
    env = launcher.environment(tmp_path)
    env["RASA_API_TOKEN"] = "-starts-with-a-dash"
    rasa = next(p for p in launcher.processes(env) if p.name == "rasa")
    parser = argparse.ArgumentParser()
    parser.add_argument("-t", "--auth-token")
    parsed, _ = parser.parse_known_args(rasa.command[2:])
    assert parsed.auth_token == "-starts-with-a-dash"


def test_generated_secrets_never_look_like_options(tmp_path: Path) -> None:
    for _ in range(20):
        (tmp_path / "secrets.env").unlink(missing_ok=True)
        values = launcher.load_secrets(tmp_path)
        assert set(launcher.SECRET_NAMES) <= set(values)
        assert not any(value.startswith("-") for value in values.values())
    assert oct((tmp_path / "secrets.env").stat().st_mode & 0o777) == "0o600"


def test_every_service_has_a_health_url_on_its_own_port(tmp_path: Path) -> None:
    env = launcher.environment(tmp_path)
    ports = [p.health_url.split(":")[2].split("/")[0] for p in launcher.processes(env)]
    assert len(ports) == len(set(ports)) == len(launcher.processes(env)) == 10


def test_a_service_that_dies_at_start_is_reported_at_once_not_after_the_timeout(tmp_path: Path) -> None:
    env = launcher.environment(tmp_path)
    dying = launcher.Process("dying", [sys.executable, "-c", "raise SystemExit(3)"], "http://127.0.0.1:9/health")
    child = subprocess.Popen(dying.command)
    launcher.pid_file(env, "dying").parent.mkdir(parents=True, exist_ok=True)
    launcher.pid_file(env, "dying").write_text(str(child.pid))
    started = time.monotonic()
    with pytest.raises(SystemExit, match="dying exited during start-up"):
        launcher.wait_healthy(env, dying, timeout_s=60, child=child)
    assert time.monotonic() - started < 10, "an exited (zombie) child must not count as running"
