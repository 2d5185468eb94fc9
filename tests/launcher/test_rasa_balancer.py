"""Several Rasa workers behind HAProxy (bot/balancer.py): the processes the launcher starts and the
configuration HAProxy is given, checked by HAProxy itself (`haproxy -c`)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import socketserver
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bot"))

import balancer  # noqa: E402  (bot/ holds stdlib scripts, not a package)
import launcher  # noqa: E402

from tests.support.servers import free_port, stop, wait_until  # noqa: E402


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


class Worker(socketserver.ThreadingTCPServer):
    """A stand-in Rasa worker: answers the health check (`GET /`); with `hangs_up`, it drops every
    message without a byte of answer, as a worker does whose listen queue is reset when it is killed."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, hangs_up: bool) -> None:
        self.hangs_up = hangs_up
        self.messages = 0
        super().__init__(("127.0.0.1", port), WorkerRequest)


class WorkerRequest(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        worker = self.server
        assert isinstance(worker, Worker)
        request_line = self.rfile.readline()
        if request_line.startswith(b"GET / "):
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            return
        worker.messages += 1
        if worker.hangs_up:  # a reset, no response: what HAProxy sees from a worker that died under it
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        while self.rfile.readline() not in (b"\r\n", b""):
            pass
        body = b'[{"text": "answered"}]'
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        self.wfile.write(body)


def consecutive_free_ports(count: int) -> int:
    for _ in range(50):
        first = free_port()
        try:
            with contextlib.ExitStack() as probes:
                for port in range(first, first + count):
                    probe = probes.enter_context(socket.socket())
                    probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports")


def test_a_message_a_dying_worker_drops_unanswered_is_answered_by_the_other(tmp_path: Path) -> None:
    """Measured: for a moment after a worker is killed, its port still accepts connections and then
    resets them. The balancer sends such a message to another worker instead of answering 502."""
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        pytest.fail("haproxy is not installed (tests/run_all.py installs it): `apt-get install haproxy`")
    first = consecutive_free_ports(2)
    workers = [Worker(first, hangs_up=True), Worker(first + 1, hangs_up=False)]
    for worker in workers:
        threading.Thread(target=worker.serve_forever, daemon=True).start()
    port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        balancer.haproxy_config(
            workers_env(tmp_path, "2", RASA_PORT=str(port), RASA_WORKER_PORT=str(first), ASSISTANT_HOST="127.0.0.1")
        )
    )
    haproxy = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/"), 10, "haproxy")
        statuses = [
            requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", json={"message": "hi"}, timeout=10)
            for _ in range(8)
        ]
    finally:
        stop(haproxy)
        for worker in workers:
            worker.shutdown()
            worker.server_close()
    assert [r.status_code for r in statuses] == [200] * 8, [r.text[:80] for r in statuses]
    assert workers[0].messages >= 1, "the balancer never tried the dying worker: the test proved nothing"
    assert workers[1].messages == 8


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False
