"""Keep the assistant's processes running: restart a crashed one with exponential backoff.

`launcher start` spawns this as a detached process (`launcher supervise`). It starts every
service, writes their pid files, and when one exits that nobody asked to stop, starts it again
after 0.5 s, doubling the pause after each quick failure up to a cap. A service that fails
quickly `SUPERVISOR_MAX_FAILURES` times within `SUPERVISOR_FAILURE_WINDOW_S` is given up on
(restarting a broken configuration forever only fills the logs): that is logged loudly in
`var/logs/supervisor.log` and the service's own log, and `launcher start` tries it again.

Control, all through files and signals so the launcher needs no socket:
- `var/run/supervisor.pid`: this process; SIGTERM stops the services, then the supervisor.
- `var/run/<name>.down`: keep that service stopped (daemontools' convention); removing it and
  sending SIGHUP (what `launcher start` does) starts it again, and also retries given-up services.
- `var/run/supervisor.json`: state of every service (pid, restarts, last exit) for `launcher status`.

Standard library only, like the launcher: it runs with the system Python.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class Service(Protocol):
    name: str
    command: list[str]
    extra_env: dict[str, str]


@dataclass(frozen=True)
class Policy:
    """When to restart; read from the environment so tests and operators can tune it."""

    backoff_start_s: float = 0.5
    backoff_cap_s: float = 30.0
    stable_after_s: float = 30.0  # an exit after this long up is a fresh crash, not a start-up loop
    max_failures: int = 5
    failure_window_s: float = 120.0
    stop_timeout_s: float = 15.0

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Policy:
        return cls(
            backoff_cap_s=float(env.get("SUPERVISOR_BACKOFF_CAP_S", cls.backoff_cap_s)),
            max_failures=int(env.get("SUPERVISOR_MAX_FAILURES", cls.max_failures)),
            failure_window_s=float(env.get("SUPERVISOR_FAILURE_WINDOW_S", cls.failure_window_s)),
        )

    def backoff(self, quick_failures_in_a_row: int) -> float:
        """0.5 s, 1 s, 2 s, … up to the cap: a crash loop costs little CPU, a one-off crash little time."""
        return min(self.backoff_cap_s, self.backoff_start_s * 2 ** max(0, quick_failures_in_a_row - 1))


@dataclass
class Child:
    """One supervised service and what happened to it."""

    service: Service
    popen: subprocess.Popen | None = None
    adopted_pid: int | None = None  # left running by an earlier supervisor
    state: str = "starting"  # running | backoff | down | failed | starting
    started_at: float = 0.0
    next_start: float = 0.0
    restarts: int = 0
    in_a_row: int = 0
    failures: deque[float] = field(default_factory=deque)
    last_exit: str = ""

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else self.adopted_pid

    def exit_status(self) -> str | None:
        """How the process ended ("exit code 1", "signal 9"), or None while it runs."""
        if self.popen is not None:
            code = self.popen.poll()
            if code is None:
                return None
            return f"signal {-code}" if code < 0 else f"exit code {code}"
        if self.adopted_pid is not None and not alive(self.adopted_pid):
            return "exited (not our child: status unknown)"
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_group(pid: int, signum: int) -> None:
    """Signal a process and its children (each service runs in its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def say(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [supervisor] {message}", flush=True)


class Supervisor:
    def __init__(self, services: Sequence[Service], env: dict[str, str], cwd: Path, policy: Policy) -> None:
        self.env = env
        self.cwd = cwd
        self.policy = policy
        self.var = Path(env["ASSISTANT_VAR"])
        self.run_dir = self.var / "run"
        self.logs = self.var / "logs"
        self.children = [Child(service) for service in services]
        self.stopping = False
        self.retry_requested = False

    # ----------------------------------------------------------------- files

    def pid_path(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def held(self, child: Child) -> bool:
        return (self.run_dir / f"{child.service.name}.down").exists()

    def write_state(self) -> None:
        services = {
            c.service.name: {"state": c.state, "pid": c.pid, "restarts": c.restarts, "last_exit": c.last_exit}
            for c in self.children
        }
        tmp = self.run_dir / "supervisor.json.tmp"
        tmp.write_text(json.dumps({"pid": os.getpid(), "services": services}, indent=1))
        tmp.replace(self.run_dir / "supervisor.json")

    def note_in_service_log(self, child: Child, message: str) -> None:
        """The operator reading a service's log sees why it stopped being restarted."""
        with open(self.logs / f"{child.service.name}.log", "a") as out:
            out.write(f"[supervisor] {message}\n")

    # ----------------------------------------------------------------- lifecycle

    def spawn(self, child: Child) -> None:
        service = child.service
        with open(self.logs / f"{service.name}.log", "ab") as out:
            child.popen = subprocess.Popen(
                service.command,
                cwd=self.cwd,
                env={**self.env, **service.extra_env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        child.adopted_pid = None
        child.state, child.started_at = "running", time.monotonic()
        self.pid_path(service.name).write_text(str(child.popen.pid))
        say(f"{service.name} started, pid {child.popen.pid}")

    def adopt_or_schedule(self, child: Child) -> None:
        """A service still running from an earlier supervisor is watched, not started twice."""
        path = self.pid_path(child.service.name)
        pid = int(path.read_text()) if path.exists() and path.read_text().strip().isdigit() else None
        if pid is not None and alive(pid):
            child.adopted_pid, child.state, child.started_at = pid, "running", time.monotonic()
            say(f"{child.service.name} already running, pid {pid}: watching it")
        else:
            path.unlink(missing_ok=True)
            child.state = "down" if self.held(child) else "starting"

    def exited(self, child: Child, how: str, now: float) -> None:
        name = child.service.name
        child.popen, child.adopted_pid, child.last_exit = None, None, how
        self.pid_path(name).unlink(missing_ok=True)
        if self.held(child):
            child.state = "down"
            say(f"{name} stopped ({how}) and held down")
            return
        quick = now - child.started_at < self.policy.stable_after_s
        child.in_a_row = child.in_a_row + 1 if quick else 1
        if quick:
            child.failures.append(now)
        while child.failures and now - child.failures[0] > self.policy.failure_window_s:
            child.failures.popleft()
        if len(child.failures) >= self.policy.max_failures:
            child.state = "failed"
            message = (
                f"GIVING UP on {name}: it failed {len(child.failures)} times within "
                f"{self.policy.failure_window_s:.0f} s (last: {how}). See var/logs/{name}.log; "
                "fix the cause and run `python3 bot/launcher.py start` to try again."
            )
            say("ERROR " + message)
            self.note_in_service_log(child, message)
            return
        delay = self.policy.backoff(child.in_a_row)
        child.state, child.next_start = "backoff", now + delay
        child.restarts += 1
        say(f"{name} exited unexpectedly ({how}); restart {child.restarts} in {delay:.1f} s")

    def step(self, now: float) -> bool:
        """One pass over every service; True if anything changed."""
        changed = False
        if self.retry_requested:
            self.retry_requested = False
            for child in self.children:
                if child.state == "failed":
                    child.state, child.failures, child.in_a_row = "starting", deque(), 0
                    changed = True
        for child in self.children:
            how = child.exit_status() if child.pid is not None else None
            if how is not None:
                self.exited(child, how, now)
                changed = True
            elif child.pid is None and child.state in ("starting", "backoff", "down"):
                if self.held(child):
                    changed |= child.state != "down"
                    child.state = "down"
                elif child.state == "down" or now >= child.next_start:
                    self.spawn(child)
                    changed = True
        return changed

    def stop_all(self) -> None:
        """Stop every service (the supervisor is already no longer restarting anything)."""
        running = [c for c in reversed(self.children) if c.pid is not None]
        for child in running:
            signal_group(child.pid, signal.SIGTERM)  # type: ignore[arg-type]
        deadline = time.monotonic() + self.policy.stop_timeout_s
        while time.monotonic() < deadline and any(c.exit_status() is None for c in running):
            time.sleep(0.1)
        for child in running:
            if child.exit_status() is None:
                say(f"{child.service.name} did not stop within {self.policy.stop_timeout_s:.0f} s: killing it")
                signal_group(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
                if child.popen is not None:
                    child.popen.wait(10)
            self.pid_path(child.service.name).unlink(missing_ok=True)
            say(f"{child.service.name} stopped")

    def run(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._request_stop)
        signal.signal(signal.SIGHUP, self._request_retry)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "supervisor.pid").write_text(str(os.getpid()))
        say(f"supervising {', '.join(c.service.name for c in self.children)}")
        for child in self.children:
            self.adopt_or_schedule(child)
        self.write_state()
        try:
            while not self.stopping:
                if self.step(time.monotonic()):
                    self.write_state()
                time.sleep(0.2)
            self.stop_all()
        finally:
            (self.run_dir / "supervisor.json").unlink(missing_ok=True)
            (self.run_dir / "supervisor.pid").unlink(missing_ok=True)
            say("stopped")

    def _request_stop(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _request_retry(self, signum: int, frame: object) -> None:
        self.retry_requested = True


def supervise(services: Sequence[Service], env: dict[str, str], cwd: Path) -> int:
    Supervisor(services, env, cwd, Policy.from_env(env)).run()
    return 0


if __name__ == "__main__":  # pragma: no cover - started through `launcher supervise`
    sys.exit("run `python3 bot/launcher.py supervise` (it passes the services and their environment)")
