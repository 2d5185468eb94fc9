"""The supervisor with real processes and signals: restarts with backoff, gives up, holds down, stops."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bot"))

import supervisor  # noqa: E402  (bot/ holds stdlib scripts, not a package)

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def eventually(check: Callable[[], object], timeout_s: float = 10.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")


class Supervised:
    """A supervisor process (the real module) over a few tiny services in a temporary var/."""

    def __init__(self, var: Path, services: dict[str, list[str]], **policy: str) -> None:
        self.var = var
        driver = var / "driver.py"
        driver.write_text(
            textwrap.dedent(
                f"""
                import os, sys, types
                sys.path.insert(0, {str(REPO / "bot")!r})
                import supervisor
                services = [types.SimpleNamespace(name=n, command=c, extra_env={{}}) for n, c in {services!r}.items()]
                sys.exit(supervisor.supervise(services, dict(os.environ), {str(var)!r}))
                """
            )
        )
        env = {**os.environ, "ASSISTANT_VAR": str(var), **policy}
        self.log = open(var / "supervisor.out", "wb")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, str(driver)], env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def pid(self, name: str) -> int | None:
        path = self.var / "run" / f"{name}.pid"
        return int(path.read_text()) if path.exists() else None

    def state(self, name: str) -> dict:
        path = self.var / "run" / "supervisor.json"
        return json.loads(path.read_text())["services"].get(name, {}) if path.exists() else {}

    def output(self) -> str:
        return (self.var / "supervisor.out").read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
        self.log.close()


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Callable[..., Supervised]]:
    started: list[Supervised] = []

    def start(services: dict[str, list[str]], **policy: str) -> Supervised:
        started.append(Supervised(tmp_path, services, **policy))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def test_backoff_starts_at_half_a_second_doubles_and_is_capped() -> None:
    policy = supervisor.Policy(backoff_cap_s=3.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_a_killed_service_is_restarted_within_a_second_and_the_restart_counted(supervised) -> None:
    sup = supervised({"web": SLEEPER, "other": SLEEPER})
    first = eventually(lambda: sup.pid("web"), what="web started")
    other = eventually(lambda: sup.pid("other"), what="other started")
    os.killpg(first, signal.SIGKILL)
    killed_at = time.monotonic()
    second = eventually(lambda: sup.pid("web") not in (None, first) and sup.pid("web"), what="web restarted")
    assert time.monotonic() - killed_at < 1.5
    assert os.getpgid(second) == second, "each service runs in its own session"
    # The pid file is written a moment before supervisor.json: wait for the state to say so too.
    state = eventually(lambda: sup.state("web").get("state") == "running" and sup.state("web"), what="state running")
    assert state["restarts"] == 1 and state["last_exit"] == "signal 9" and state["pid"] == second
    assert sup.pid("other") == other, "the other service is left alone"


def test_a_service_that_keeps_failing_is_restarted_with_growing_pauses_then_given_up(supervised, tmp_path) -> None:
    starts = tmp_path / "starts"
    failing = ["/bin/sh", "-c", f"date +%s.%N >> {starts}; exit 3"]  # a shell: starts fast on a busy machine
    sup = supervised({"broken": failing}, SUPERVISOR_MAX_FAILURES="4")
    eventually(lambda: sup.state("broken").get("state") == "failed", 60, "given up")
    times = [float(line) for line in starts.read_text().split()]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) == 4, times
    for gap, pause in zip(gaps, (0.5, 1.0, 2.0), strict=True):
        assert pause <= gap < pause + 1.5, gaps
    assert "GIVING UP on broken" in sup.output()
    assert "GIVING UP on broken" in (tmp_path / "logs" / "broken.log").read_text(), "said in the service's log too"
    time.sleep(2.5)
    assert len(starts.read_text().split()) == 4, "no restarts after giving up"
    # `launcher start` sends SIGHUP: the supervisor tries again.
    sup.process.send_signal(signal.SIGHUP)
    eventually(lambda: len(starts.read_text().split()) > 4, 5, "retried after SIGHUP")


def test_a_held_service_stays_down_until_released(supervised, tmp_path) -> None:
    sup = supervised({"desk": SLEEPER})
    pid = eventually(lambda: sup.pid("desk"))
    (tmp_path / "run" / "desk.down").write_text("")
    os.killpg(pid, signal.SIGTERM)
    eventually(lambda: sup.state("desk").get("state") == "down", what="held down")
    time.sleep(1.5)
    assert sup.pid("desk") is None
    (tmp_path / "run" / "desk.down").unlink()
    sup.process.send_signal(signal.SIGHUP)
    eventually(lambda: sup.pid("desk"), 5, "started again once released")


def test_stopping_the_supervisor_stops_its_services_and_restarts_nothing(supervised, tmp_path) -> None:
    sup = supervised({"a": SLEEPER, "b": [sys.executable, "-c", "import signal, time; time.sleep(600)"]})
    pids = [eventually(lambda: sup.pid("a")), eventually(lambda: sup.pid("b"))]
    sup.process.send_signal(signal.SIGTERM)
    assert sup.process.wait(20) == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not list((tmp_path / "run").glob("*.pid")), "pid files removed"
    assert "restart" not in sup.output()


def test_a_new_supervisor_adopts_services_an_earlier_one_left_running(supervised, tmp_path) -> None:
    first = supervised({"graph": SLEEPER})
    pid = eventually(lambda: first.pid("graph"))
    first.process.kill()  # the supervisor itself crashes; its services keep running
    first.process.wait(10)
    second = supervised({"graph": SLEEPER})
    eventually(lambda: "already running" in second.output(), what="adopted")
    assert second.pid("graph") == pid
    os.killpg(pid, signal.SIGKILL)
    eventually(lambda: second.pid("graph") not in (None, pid), 5, "an adopted service is restarted too")
