"""Several Rasa workers behind HAProxy (bot/balancer.py): the processes the launcher starts and the
configuration HAProxy is given, checked by HAProxy itself (`haproxy -c`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bot"))

import balancer  # noqa: E402  (bot/ holds stdlib scripts, not a package)
import launcher  # noqa: E402


def workers_env(tmp_path: Path, workers: str = "3", **extra: str) -> dict[str, str]:
    env = launcher.environment(tmp_path)
    env.update({"ASSISTANT_STORE": "postgres", "ASSISTANT_RASA_WORKERS": workers, "RASA_PORT": "5005", **extra})
    return env


def test_one_worker_is_the_plain_rasa_process(tmp_path: Path) -> None:
    names = [p.name for p in launcher.processes(launcher.environment(tmp_path))]
    assert "rasa" in names and "balancer" not in names and not any(n.startswith("rasa-") for n in names)


def test_several_workers_listen_privately_behind_the_balancer_on_the_rasa_port(tmp_path: Path) -> None:
    env = workers_env(tmp_path, ASSISTANT_HOST="0.0.0.0")
    by_name = {p.name: p for p in launcher.processes(env)}
    assert {"rasa-1", "rasa-2", "rasa-3", "balancer"} <= set(by_name) and "rasa" not in by_name
    for index, port in enumerate((5016, 5017, 5018), start=1):
        command = by_name[f"rasa-{index}"].command
        assert command[command.index("--port") + 1] == str(port)
        assert command[command.index("--interface") + 1] == "127.0.0.1"  # only the balancer is public
    config = balancer.haproxy_config(env)
    assert "bind 0.0.0.0:5005" in config
    assert [line.split()[-1] for line in config.splitlines() if "server rasa-" in line] == [
        "127.0.0.1:5016",
        "127.0.0.1:5017",
        "127.0.0.1:5018",
    ] * 2


def test_workers_share_the_web_chat_through_the_lock_stores_redis(tmp_path: Path, monkeypatch) -> None:
    for name, value in {
        "ASSISTANT_RASA_WORKERS": "2",
        "LOCK_REDIS_HOST": "redis.internal",
        "LOCK_REDIS_PORT": "6380",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WEBCHAT_REDIS_URL", raising=False)
    assert launcher.environment(tmp_path)["WEBCHAT_REDIS_URL"] == "redis://redis.internal:6380/2"
    monkeypatch.setenv("ASSISTANT_RASA_WORKERS", "1")
    assert launcher.environment(tmp_path)["WEBCHAT_REDIS_URL"] == ""


@pytest.mark.parametrize(
    ("workers", "store", "problem"),
    [("2", "sqlite", "ASSISTANT_STORE=postgres"), ("0", "postgres", "from 1 to"), ("two", "postgres", "from 1 to")],
)
def test_workers_that_cannot_work_are_refused_with_the_reason(
    tmp_path: Path, workers: str, store: str, problem: str
) -> None:
    env = workers_env(tmp_path, workers, ASSISTANT_STORE=store)
    with pytest.raises(SystemExit, match=problem):
        launcher.processes(env)


def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        pytest.fail("haproxy is not installed (tests/run_all.py installs it): `apt-get install haproxy`")
    config = tmp_path / "haproxy.cfg"
    config.write_text(balancer.haproxy_config(workers_env(tmp_path)))
    checked = subprocess.run([binary, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
