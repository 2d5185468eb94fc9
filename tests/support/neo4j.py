"""A throwaway Neo4j 5.26 server for tests: knowledge_graph.neo4j_server on a free 127.0.0.1 port. Usage:

    with running_neo4j() as neo4j:
        neo4j.uri                           # bolt://127.0.0.1:PORT, no auth

or the session fixture `neo4j_server` (import it into a conftest.py). The first use builds the
server with Maven into ~/.cache/shop-assistant/neo4j-server/ (see docs/neo4j.md); later uses start
it in a few seconds. Without Java 17 or Maven the test fails, on CI and on laptops alike: a skipped
graph test would hide that the Neo4j store was never exercised.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from knowledge_graph.neo4j_server import launcher
from tests.support.servers import free_port


@dataclass
class Neo4jServer:
    uri: str
    port: int
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not running"
        return self.process.pid

    def start(self, timeout_s: float = 120.0) -> None:
        """Starts it on its data directory (again, e.g. after `kill`), as a service manager would."""
        self.process = launcher.start(self.port, self.data_dir, self.log, timeout_s)

    def kill(self) -> None:
        """kill -9 of the JVM, as a crash would (the store recovers from its transaction log on start)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def build_or_fail() -> None:
    """Build once (cached); a missing java/mvn is a test failure naming the apt packages, never a skip."""
    try:
        launcher.build()
    except launcher.MissingTool as error:
        pytest.fail(str(error), pytrace=False)


@contextmanager
def running_neo4j(timeout_s: float = 120.0) -> Iterator[Neo4jServer]:
    build_or_fail()
    root = Path(tempfile.mkdtemp(prefix="neo4j-test-"))
    data_dir, port = root / "data", free_port()
    server = Neo4jServer(f"bolt://127.0.0.1:{port}", port, data_dir, root / "server.log")
    try:
        server.start(timeout_s)
        try:
            yield server
        finally:
            if server.process is not None:
                launcher.stop(server.process)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Neo4jServer]:
    with running_neo4j() as server:
        yield server
