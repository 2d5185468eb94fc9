"""A throwaway RabbitMQ server for tests (Debian's rabbitmq-server), on free 127.0.0.1 ports. Usage:

    with running_rabbitmq() as rabbit:
        rabbit.host, rabbit.port, rabbit.user, rabbit.password
        rabbit.url                          # amqp://assistant:…@127.0.0.1:PORT/
        rabbit.stop(); rabbit.start()       # the same node again, with its durable queues and messages

The node keeps its data (durable queues, persistent messages) in a temporary directory, so a test can
stop the broker and start it again as an outage would. It gets its own epmd (Erlang's port mapper) on
a free port, started and stopped here: Erlang would otherwise leave a shared `epmd -daemon` behind.
No plugins (no management UI): the tests speak AMQP.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import free_port, missing, stop, wait_until

APT_PACKAGES = "rabbitmq-server"
SERVER_SCRIPT = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
EPMD_GLOB = "/usr/lib/erlang/erts-*/bin/epmd"
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"


def amqp_ready(host: str, port: int) -> bool:
    """True when the broker answers the AMQP 0-9-1 protocol header with a Connection.Start frame (type 1)."""
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(AMQP_HEADER)
            return sock.recv(1) == b"\x01"
    except OSError:
        return False


def _epmd_binary() -> str | None:
    found = shutil.which("epmd")
    if found:
        return found
    candidates = sorted(Path("/").glob(EPMD_GLOB.lstrip("/")))
    return str(candidates[-1]) if candidates else None


@dataclass
class RabbitServer:
    """One RabbitMQ node in `root`; `start()`/`stop()` can be called again (an outage and a recovery)."""

    root: Path
    port: int
    dist_port: int
    epmd_port: int
    user: str = "assistant"
    password: str = field(default_factory=lambda: secrets.token_hex(12))
    host: str = "127.0.0.1"
    started_in_s: float = 0.0  # the last start, until AMQP answered
    _process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"amqp://{self.user}:{self.password}@{self.host}:{self.port}/"

    def broker_variables(self) -> dict[str, str]:
        """The stack's variables that point Rasa and the consumers at this node (docs/scaling.md)."""
        return {
            "ASSISTANT_EVENT_BROKER": "rabbitmq",
            "EVENT_BROKER_HOST": self.host,
            "EVENT_BROKER_PORT": str(self.port),
            "EVENT_BROKER_USER": self.user,
            "EVENT_BROKER_PASSWORD": self.password,
        }

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(self.root / "home"),  # the Erlang cookie goes here
            ERL_EPMD_PORT=str(self.epmd_port),
            RABBITMQ_NODENAME=f"test{self.port}@localhost",
            RABBITMQ_NODE_IP_ADDRESS=self.host,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.root / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.root / "log"),
            RABBITMQ_LOGS="-",
            RABBITMQ_CONFIG_FILE=str(self.root / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.root / "enabled_plugins"),
        )
        return env

    def write_config(self) -> None:
        for directory in ("home", "mnesia", "log"):
            (self.root / directory).mkdir(parents=True, exist_ok=True)
        (self.root / "enabled_plugins").write_text("[].\n")
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.host}:{self.port}\n"
            f"default_user = {self.user}\n"
            f"default_pass = {self.password}\n"
            "default_vhost = /\n"
            # A test machine's disk is often fuller than RabbitMQ's default alarm (50 MB free) allows for.
            "disk_free_limit.absolute = 1MB\n"
        )

    def start(self, timeout_s: float = 60.0) -> None:
        assert self._process is None, "already running"
        began = time.monotonic()
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 - handed to the child, closed with it
        self._process = subprocess.Popen(
            [str(SERVER_SCRIPT)],
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends the script, beam and helpers
        )
        log.close()
        process = self._process
        wait_until(lambda: amqp_ready(self.host, self.port) or process.poll() is not None, timeout_s, "rabbitmq")
        if process.poll() is not None:
            self._process = None
            raise RuntimeError(f"rabbitmq-server exited:\n{self.log_tail()}")
        self.started_in_s = time.monotonic() - began

    def stop(self) -> None:
        """Stops the node (SIGTERM to its process group: RabbitMQ shuts down cleanly, messages on disk stay)."""
        process, self._process = self._process, None
        if process is None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        # beam.smp may outlive the shell script for a moment; the port is free once it is gone.
        wait_until(lambda: not _port_open(self.host, self.port), 30, "rabbitmq shutdown")

    def log_tail(self, chars: int = 4000) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


def _port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _signal_group(pid: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pid, signum)


@contextmanager
def _running_epmd(port: int) -> Iterator[None]:
    binary = _epmd_binary()
    if binary is None:
        missing("epmd (Erlang)", APT_PACKAGES)
    process = subprocess.Popen(
        [str(binary), "-port", str(port), "-address", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(lambda: _port_open("127.0.0.1", port) or process.poll() is not None, 10, "epmd")
        yield
    finally:
        stop(process)


@contextmanager
def running_rabbitmq(timeout_s: float = 60.0) -> Iterator[RabbitServer]:
    if not SERVER_SCRIPT.exists():
        missing("rabbitmq-server", APT_PACKAGES)
    root = Path(tempfile.mkdtemp(prefix="rabbitmq-test-"))
    server = RabbitServer(root=root, port=free_port(), dist_port=free_port(), epmd_port=free_port())
    server.write_config()
    try:
        with _running_epmd(server.epmd_port):
            server.start(timeout_s)
            try:
                yield server
            finally:
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def drain(
    server: RabbitServer, queue_name: str, expect: int = 0, timeout_s: float = 30.0
) -> list[dict[str, Any]]:
    """The JSON messages in a durable queue, taken and acked, waiting until at least `expect` arrived.

    aio-pika is imported here: both venvs have it (Rasa's 8.x, the services' 10.x), the API used is common."""
    import aio_pika

    events: list[dict[str, Any]] = []
    connection = await aio_pika.connect(server.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        deadline = time.monotonic() + timeout_s
        while True:
            message = await queue.get(fail=False)
            if message is not None:
                await message.ack()
                events.append(json.loads(message.body))
                continue
            if len(events) >= expect or time.monotonic() > deadline:
                return events
            await asyncio.sleep(0.1)


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[RabbitServer]:
    with running_rabbitmq() as server:
        yield server
