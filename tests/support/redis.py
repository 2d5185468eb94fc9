"""A throwaway redis-server for tests, on a free 127.0.0.1 port with no persistence. Usage:

    with running_redis() as redis:
        redis.url                           # redis://127.0.0.1:PORT/0

or the session fixture `redis_server` (import it into a conftest.py).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.servers import free_port, missing, stop, wait_until

APT_PACKAGES = "redis-server"


@dataclass
class RedisServer:
    host: str
    port: int
    command_line: list[str] = field(default_factory=list)  # how it was started (to start it again)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def command(self, *parts: str) -> bytes:
        """Sends one RESP command and returns the first reply line (enough for PING, SET, GET of short values)."""
        payload = f"*{len(parts)}\r\n" + "".join(f"${len(p.encode())}\r\n{p}\r\n" for p in parts)
        with socket.create_connection((self.host, self.port), timeout=2) as sock:
            sock.sendall(payload.encode())
            return sock.recv(65536)

    def kill(self) -> None:
        """kill -9, as a crash would (the lock store's keys are in memory only: they are gone)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def start(self, timeout_s: float = 10.0) -> None:
        """Starts it on the same port (again, e.g. after `kill`), as a service manager would."""
        process = subprocess.Popen(self.command_line, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.process = process
        wait_until(lambda: self.ping() or process.poll() is not None, timeout_s, "redis-server")
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")

    def ping(self) -> bool:
        try:
            return self.command("PING").startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def running_redis(timeout_s: float = 10.0) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server", APT_PACKAGES)
    work_dir = Path(tempfile.mkdtemp(prefix="redis-test-"))
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(work_dir)]
    command += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(work_dir / "redis.log")]
    server = RedisServer("127.0.0.1", port, command)
    try:
        try:
            server.start(timeout_s)
        except RuntimeError as error:
            raise RuntimeError(f"{error}: {(work_dir / 'redis.log').read_text(errors='replace')}") from None
        yield server
    finally:
        if server.process is not None:
            stop(server.process)
        shutil.rmtree(work_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server
