"""Build and run the local Neo4j server (Java, from Maven Central) without Docker.

The build lives outside the repository, in ~/.cache/shop-assistant/neo4j-server/<hash>/, keyed by
a hash of pom.xml and the Java sources: a fresh clone reuses it, a changed source rebuilds it.
Maven keeps its own download cache in ~/.m2. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent
MAIN_CLASS = "shopassistant.Neo4jDevServer"
APT_PACKAGES = "openjdk-17-jdk-headless maven"  # the JDK, not just the JRE: Maven needs javac
READY_PREFIX = "NEO4J READY "
HOST = "127.0.0.1"

# Small heap for a dev/test database; the page cache (256 MiB) is set by the server itself.
# The --add-opens and netty flags are the ones Neo4j's own neo4j.conf passes on Java 17.
JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)


class MissingTool(RuntimeError):
    """Java or Maven is not installed: the message says which apt packages to install."""


def cache_root() -> Path:
    """Per-user cache (XDG_CACHE_HOME honoured), so builds survive clones and never land in the repo."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shop-assistant" / "neo4j-server"


def source_files() -> list[Path]:
    """Everything the build depends on: the pom and the Java sources, in a stable order."""
    return [PROJECT / "pom.xml", *sorted((PROJECT / "src").rglob("*.java"))]


def source_hash() -> str:
    """12 hex digits of SHA-256 over the sources' relative paths and contents."""
    digest = hashlib.sha256()
    for path in source_files():
        digest.update(path.relative_to(PROJECT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def require_tool(name: str) -> str:
    """The tool's path, or a MissingTool error naming the apt packages."""
    path = shutil.which(name)
    if path is None:
        install = f"sudo apt-get install -y {APT_PACKAGES}"
        raise MissingTool(f"{name} not found; install a Java 17 JDK and Maven with: {install}")
    return path


def build_dir() -> Path:
    """Where the build for the current sources lives (whether or not it exists yet)."""
    return cache_root() / source_hash()


def is_built(directory: Path) -> bool:
    return (directory / "target" / "classes" / "shopassistant" / "Neo4jDevServer.class").is_file() and any(
        (directory / "target" / "lib").glob("neo4j-*.jar")
    )


def build() -> Path:
    """Compile the server and collect its jars once per source hash; returns the build directory.

    Builds in a temporary sibling and renames it into place, so an interrupted or concurrent build
    never leaves a half-built directory that later runs would trust.
    """
    target = build_dir()
    if is_built(target):
        os.utime(target)  # marks it recently used for prune_old_builds
        return target
    require_tool("java")
    require_tool("javac")
    mvn = require_tool("mvn")
    print(f"building the Neo4j server into {target} (the first build downloads ~160 MB) ...", file=sys.stderr)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{target.name}.build-", dir=target.parent))
    try:
        for path in source_files():
            copy = work / path.relative_to(PROJECT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
        result = subprocess.run(
            [mvn, "-B", "-q", "compile", "dependency:copy-dependencies"],
            cwd=work,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"Maven build of the Neo4j server failed:\n{tail(result.stdout + result.stderr)}")
        try:
            work.rename(target)
        except OSError:
            if not is_built(target):  # someone else finished first, or a broken leftover is in the way
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    prune_old_builds(keep=3)
    return target


def prune_old_builds(keep: int) -> None:
    """Each build holds ~120 MB of jars: keep only the most recent few (older sources rebuild in seconds).

    Also removes temporary build directories a killed build left behind (older than an hour).
    """
    entries = [path for path in cache_root().iterdir() if path.is_dir()]
    builds = [path for path in entries if len(path.name) == 12 and is_built(path)]
    for old in sorted(builds, key=mtime, reverse=True)[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    for leftover in (path for path in entries if ".build-" in path.name):
        if time.time() - mtime(leftover) > 3600:
            shutil.rmtree(leftover, ignore_errors=True)


def mtime(path: Path) -> float:
    """Modification time, or 0 for a path a concurrent build just renamed or removed."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def command(directory: Path, port: int, data_dir: Path) -> list[str]:
    """The java command line for a built server (the documented `java -cp ...` run)."""
    classpath = f"{directory / 'target' / 'classes'}:{directory / 'target' / 'lib' / '*'}"
    args = ["--port", str(port), "--data-dir", str(Path(data_dir).resolve())]
    return [require_tool("java"), *JVM_OPTIONS, "-cp", classpath, MAIN_CLASS, *args]


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def read_log(log_file: Path) -> str:
    return log_file.read_text(errors="replace") if log_file.exists() else ""


def accepts(port: int) -> bool:
    """True once something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_ready(proc: subprocess.Popen[bytes], port: int, log_file: Path, timeout_s: float) -> None:
    """Wait for the server's READY line and a Bolt accept; raise with the log tail if it dies or times out.

    The READY line (not just an open port) is required, so another process on the port is never
    mistaken for our server.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Neo4j exited with code {proc.returncode}:\n{tail(read_log(log_file))}")
        if READY_PREFIX in read_log(log_file) and accepts(port):
            return
        time.sleep(0.1)
    stop(proc)
    raise RuntimeError(f"Neo4j did not become ready within {timeout_s:.0f} s:\n{tail(read_log(log_file))}")


def start(port: int, data_dir: Path, log_file: Path, timeout_s: float = 120.0) -> subprocess.Popen[bytes]:
    """Build if needed, start the server in its own session, and return once Bolt is ready.

    stdout and stderr go to log_file (no pipe to fill up); the server's own debug.log is under
    data_dir/logs.
    """
    directory = build()
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    log_file = Path(log_file)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            command(directory, port, Path(data_dir)),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_ready(proc, port, log_file, timeout_s)
    return proc


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """SIGTERM (Neo4j's shutdown hook flushes and closes the store), SIGKILL only if that hangs."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
