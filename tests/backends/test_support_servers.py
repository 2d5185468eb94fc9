"""The shared throwaway-server helpers really start servers that answer, and clean up after."""

from __future__ import annotations

import socket
from pathlib import Path

import asyncpg
import pytest

from tests.support.postgres import PostgresServer, running_postgres
from tests.support.redis import running_redis
from tests.support.servers import missing


def test_redis_helper_serves_and_stops() -> None:
    with running_redis() as redis:
        assert redis.ping()
        assert redis.command("SET", "lock", "held").startswith(b"+OK")
        assert b"held" in redis.command("GET", "lock")
        port = redis.port
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


@pytest.mark.asyncio
async def test_postgres_fixture_gives_fresh_databases(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.create_database(), postgres_server.create_database()
    assert first != second
    connection = await asyncpg.connect(first.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute("CREATE TABLE t (x int)")
        assert await connection.fetchval("SELECT count(*) FROM t") == 0
        assert (await connection.fetchval("SHOW server_version")).split(".")[0].isdigit()
    finally:
        await connection.close()


def test_postgres_helper_removes_its_directory() -> None:
    with running_postgres() as server:
        data_dir = server.data_dir
        assert (data_dir / "PG_VERSION").exists()
    assert not Path(data_dir).exists()


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_binary_fails_on_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install -y postgresql"):
        missing("PostgreSQL", "postgresql")
