"""What the server helpers share: free ports, readiness waits, and skip-or-fail when a binary is missing."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable

import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing(what: str, apt_packages: str) -> None:
    """Under CI=true a missing server is a broken build; on a laptop it is only a skipped test."""
    message = f"{what} not found; install it with: sudo apt-get install -y {apt_packages}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def wait_until(ready: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not become ready within {timeout_s:.0f} s")


def stop(process: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """SIGTERM, and SIGKILL when the server has not exited within `grace_s`."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
