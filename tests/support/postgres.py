"""A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temp dir, on a free 127.0.0.1 port.

As root, the server runs as the `postgres` OS user (PostgreSQL refuses to run as root). Usage:

    with running_postgres() as pg:
        url = pg.create_database()          # postgresql+asyncpg://postgres@127.0.0.1:PORT/test_xxx

or the session fixture `postgres_server` (import it into a conftest.py).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import free_port, missing

APT_PACKAGES = "postgresql"


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, or the directory of initdb on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    bin_dir: Path
    data_dir: Path
    options: str = ""  # the postgres options it was started with (port, socket dir, ...)
    log: Path | None = None

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        command = [str(self.bin_dir / "psql"), "-h", self.host, "-p", str(self.port), "-U", self.user]
        command += ["-d", database, "-v", "ON_ERROR_STOP=1", "-qAtc", sql]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    def create_database(self, prefix: str = "test") -> str:
        """A fresh, empty database (name generated here, never from input); returns its asyncpg URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def pg_ctl(self) -> list[str]:
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir)]
        return _as_postgres_user(command + (["-l", str(self.log)] if self.log else []))

    def start(self, timeout_s: float = 30.0) -> None:
        """Starts the server on its data directory (again, e.g. after `kill`), as a service manager would."""
        started = subprocess.run(
            [*self.pg_ctl(), "-o", self.options, "-w", "-t", str(int(timeout_s)), "start"],
            capture_output=True,
            text=True,
        )
        if started.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log and self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log}")

    def kill(self) -> None:
        """kill -9 of the postmaster and every backend, as a crash of the machine's database would."""
        import psutil  # the services venv's (the Rasa venv's tests never kill the server)

        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        processes = [psutil.Process(postmaster), *psutil.Process(postmaster).children(recursive=True)]
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(processes, timeout=10)


def _as_postgres_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def running_postgres(timeout_s: float = 30.0) -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        missing("PostgreSQL (initdb, pg_ctl)", APT_PACKAGES)
    root = Path(tempfile.mkdtemp(prefix="pg-test-"))
    data_dir, socket_dir = root / "data", root / "sock"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        for path in (root, socket_dir):
            shutil.chown(path, "postgres", "postgres")
    port = free_port()
    run = _as_postgres_user
    subprocess.run(
        run([str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
    server = PostgresServer("127.0.0.1", port, "postgres", bin_dir, data_dir, options, root / "server.log")
    try:
        server.start(timeout_s)
    except RuntimeError:
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        subprocess.run([*server.pg_ctl(), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server
