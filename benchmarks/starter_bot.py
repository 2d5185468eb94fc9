"""Rasa's own starter bot (`rasa init --no-prompt`) as a baseline for the benchmarks.

The latency harness measures our assistant and this bot in the same run, so a number for
our assistant always has a reference measured on the same machine at the same time.

Only the standard library is used: the module runs from the services venv (the harness)
and drives the Rasa venv through its `rasa` executable.

    python benchmarks/starter_bot.py prepare   # create + train once (reused afterwards)
    python benchmarks/starter_bot.py start     # serve on 127.0.0.1:5305 in the background
    python benchmarks/starter_bot.py stop
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = Path(os.environ.get("ASSISTANT_VAR", REPO_ROOT / "var")) / "bench" / "starter"
DEFAULT_PORT = 5305
READY_TIMEOUT_S = 240.0


def find_rasa_bin(explicit: str | None = None) -> str:
    """Locate the `rasa` executable: flag, $RASA_BIN, the repo's Rasa venv, then PATH."""
    candidates = [
        explicit,
        os.environ.get("RASA_BIN"),
        str(REPO_ROOT / ".venv-rasa" / "bin" / "rasa"),
        "/tmp/venvbuild/rasa/bin/rasa",
        shutil.which("rasa"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError("no rasa executable found; pass --rasa-bin or set RASA_BIN")


def rasa_env() -> dict[str, str]:
    """Environment for Rasa subprocesses: no telemetry calls home, quiet TensorFlow."""
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def trained_model(bot_dir: Path) -> Path | None:
    """Newest trained model of the starter bot, if there is one."""
    models = sorted((bot_dir / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def has_custom_actions(bot_dir: Path) -> bool:
    """True if the starter bot's domain lists custom actions (then it would need an action server)."""
    domain = (bot_dir / "domain.yml").read_text(encoding="utf-8")
    in_actions = False
    for line in domain.splitlines():
        if line.startswith("actions:"):
            in_actions = True
            continue
        if in_actions and line and not line.startswith((" ", "-", "#")):
            in_actions = False
        if in_actions and line.strip().startswith("- "):
            return True
    return False


def prepare(bot_dir: Path = DEFAULT_DIR, rasa_bin: str | None = None) -> Path:
    """Create and train the starter bot once; later calls reuse the trained model."""
    model = trained_model(bot_dir)
    if model is not None:
        return model
    bot_dir.mkdir(parents=True, exist_ok=True)
    rasa = find_rasa_bin(rasa_bin)
    log = bot_dir.parent / "starter-init.log"
    # `rasa init --no-prompt` writes the project and trains it; `nice` because the 2 cores are shared.
    cmd = ["nice", "-n", "10", rasa, "init", "--no-prompt", "--init-dir", str(bot_dir)]
    with log.open("w", encoding="utf-8") as out:
        subprocess.run(
            cmd,
            cwd=bot_dir,
            env=rasa_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    model = trained_model(bot_dir)
    if model is None:
        raise RuntimeError(f"rasa init produced no model; see {log}")
    return model


def http_json(url: str, timeout: float = 2.0) -> object:
    """GET a URL and decode its JSON body (stdlib only)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def is_ready(base_url: str) -> bool:
    """The server is ready once `/status` reports a loaded model."""
    try:
        status = http_json(f"{base_url}/status")
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return isinstance(status, dict) and bool(status.get("model_file") or status.get("model_id"))


@dataclass
class StarterServer:
    """A running starter-bot Rasa server."""

    pid: int
    port: int
    log: Path
    pid_file: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start(
    bot_dir: Path = DEFAULT_DIR,
    port: int = DEFAULT_PORT,
    rasa_bin: str | None = None,
    timeout: float = READY_TIMEOUT_S,
) -> StarterServer:
    """Start `rasa run --enable-api` for the starter bot and wait until it answers."""
    model = prepare(bot_dir, rasa_bin)
    if has_custom_actions(bot_dir):
        raise RuntimeError("the starter bot lists custom actions; it would need an action server")
    rasa = find_rasa_bin(rasa_bin)
    log = bot_dir.parent / f"starter-server-{port}.log"
    cmd = [
        rasa,
        "run",
        "--enable-api",
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--model",
        str(model),
        "--endpoints",
        str(bot_dir / "endpoints.yml"),
        "--credentials",
        str(bot_dir / "credentials.yml"),
    ]
    out = log.open("w", encoding="utf-8")
    proc = subprocess.Popen(cmd, cwd=bot_dir, env=rasa_env(), stdout=out, stderr=subprocess.STDOUT)
    out.close()
    server = StarterServer(proc.pid, port, log, pid_path(bot_dir, port))
    server.pid_file.write_text(str(proc.pid), encoding="utf-8")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"starter bot exited with {proc.returncode}; see {log}")
        if is_ready(server.url):
            return server
        time.sleep(0.5)
    shutdown(server)
    raise TimeoutError(f"starter bot not ready after {timeout:.0f} s; see {log}")


def pid_path(bot_dir: Path, port: int) -> Path:
    """Where `start` records the server's pid, so `stop` works from another shell."""
    return bot_dir.parent / f"starter-{port}.pid"


def shutdown(server: StarterServer) -> None:
    """Stop a server started by `start` and forget its pid file."""
    stop(server.pid)
    server.pid_file.unlink(missing_ok=True)


def stop(pid: int, timeout: float = 20.0) -> None:
    """Stop a server we started: SIGTERM, then SIGKILL if it lingers."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child: poll for existence instead
            finished = 0 if _alive(pid) else pid
        if finished == pid:
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _alive(pid: int) -> bool:
    """True while a process with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def running(
    bot_dir: Path = DEFAULT_DIR, port: int = DEFAULT_PORT, rasa_bin: str | None = None
) -> Iterator[StarterServer]:
    """Serve the starter bot for the duration of a `with` block."""
    server = start(bot_dir, port, rasa_bin)
    try:
        yield server
    finally:
        shutdown(server)


def main(argv: list[str] | None = None) -> int:
    """CLI: prepare / start / stop the starter bot."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["prepare", "start", "stop"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="cache dir of the starter bot")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--rasa-bin", default=None)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        t0 = time.monotonic()
        model = prepare(args.dir, args.rasa_bin)
        print(f"model {model} ({time.monotonic() - t0:.1f} s)")
    elif args.command == "start":
        server = start(args.dir, args.port, args.rasa_bin)
        print(f"starter bot pid {server.pid} at {server.url} (log {server.log})")
    else:
        path = pid_path(args.dir, args.port)
        if not path.exists():
            print(f"no {path}: nothing to stop", file=sys.stderr)
            return 1
        stop(int(path.read_text(encoding="utf-8")))
        path.unlink()
        print("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
