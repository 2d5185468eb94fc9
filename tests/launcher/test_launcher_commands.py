"""The launcher's process commands and secrets, without starting anything."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bot"))

import launcher  # noqa: E402  (bot/launcher.py is a stdlib script, not a package)
import rasa_server  # noqa: E402


def test_a_token_starting_with_a_dash_reaches_rasa_as_the_tokens_value(tmp_path: Path) -> None:
    env = launcher.environment(tmp_path)
    env["RASA_API_TOKEN"] = "-starts-with-a-dash"
    rasa = next(p for p in launcher.processes(env) if p.name == "rasa")
    argv = rasa_server.rasa_argv(rasa.command[3:], env)  # what bot/rasa_server.py hands to Rasa's CLI
    parser = argparse.ArgumentParser()
    parser.add_argument("-t", "--auth-token")
    parsed, _ = parser.parse_known_args(argv[2:])
    assert argv[:2] == ["rasa", "run"]
    assert parsed.auth_token == "-starts-with-a-dash"


def test_rasa_does_not_call_home_unless_the_operator_opts_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RASA_TELEMETRY_ENABLED", raising=False)
    assert launcher.environment(tmp_path)["RASA_TELEMETRY_ENABLED"] == "false"
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")
    assert launcher.environment(tmp_path)["RASA_TELEMETRY_ENABLED"] == "true"


def test_no_secret_is_on_any_command_line(tmp_path: Path) -> None:
    """Command lines are readable by every user of the machine (ps, /proc/<pid>/cmdline)."""
    env = launcher.environment(tmp_path)
    secrets = launcher.load_secrets(tmp_path)
    for process in launcher.processes(env):
        command = " ".join(process.command)
        leaked = [name for name, value in secrets.items() if value in command]
        assert not leaked, f"{process.name}'s command line carries {leaked}"
        assert not any(value in process.health_url for value in process.extra_env.values() if len(value) > 20)


def test_the_state_directory_is_private_and_an_old_readable_secrets_file_is_tightened(tmp_path: Path) -> None:
    var = tmp_path / "var"
    (var / "logs").mkdir(parents=True)
    (var / "secrets.env").write_text("APP_JWT_SECRET=abc\n")
    (var / "orders.sqlite").write_text("")
    (var / "logs" / "rasa.log").write_text("")
    for path in (var, var / "logs", var / "secrets.env", var / "orders.sqlite", var / "logs" / "rasa.log"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # what the default umask made before the fix
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN") and not k.endswith("_SECRET")}
    subprocess.run(
        [sys.executable, str(REPO / "bot" / "launcher.py"), "status"], env={**env, "ASSISTANT_VAR": str(var)}
    )
    for path in (var, var / "logs", var / "run"):
        assert path.stat().st_mode & 0o777 == 0o700, path
    for path in (var / "secrets.env", var / "orders.sqlite", var / "logs" / "rasa.log"):
        assert path.stat().st_mode & 0o077 == 0, path
    assert (var / "secrets.env").stat().st_mode & 0o777 == 0o600
    assert "ORDERS_API_TOKEN" in (var / "secrets.env").read_text(), "missing secrets were added, still private"


def test_the_launcher_and_what_it_starts_create_files_no_one_else_can_read(tmp_path: Path) -> None:
    """Every command sets umask 077, inherited by the supervisor and the services (databases, logs)."""
    script = f"""
import subprocess, sys
sys.path.insert(0, {str(REPO / "bot")!r})
import launcher
launcher.main(["status"])
subprocess.run([sys.executable, "-c", "open({str(tmp_path / "probe")!r}, 'w').close()"], check=True)
"""
    subprocess.run([sys.executable, "-c", script], env={**os.environ, "ASSISTANT_VAR": str(tmp_path / "var")})
    assert (tmp_path / "probe").stat().st_mode & 0o777 == 0o600


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
    assert len(ports) == len(set(ports)) == len(launcher.processes(env)) == 11


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


def test_a_pid_file_removed_while_it_is_read_means_not_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`launcher stop` waits for the supervisor's pid file to go; the supervisor removes it as it
    exits, which once happened between the launcher's check and its read (a fresh-clone CI run)."""
    env = launcher.environment(tmp_path)
    path = launcher.pid_file(env, "supervisor")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(os.getpid()))
    assert launcher.running_pid(env, "supervisor") == os.getpid()
    read_text = Path.read_text

    def removed_first(self: Path, *args: object, **kwargs: object) -> str:
        if self == path:
            path.unlink()  # the supervisor exits just now
        return read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", removed_first)
    assert launcher.running_pid(env, "supervisor") is None
