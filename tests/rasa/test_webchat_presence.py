"""Web chat presence across Rasa workers (channels/webchat_cluster.py) on a real redis-server: a
socket counts while its worker's heartbeat lives, so a crashed worker's sockets stop counting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from redis import asyncio as aioredis

from channels.webchat_cluster import Presence
from tests.support.redis import RedisServer, running_redis


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture
async def workers(redis_server: RedisServer) -> AsyncIterator[tuple[Presence, Presence]]:
    pair = tuple(
        Presence(aioredis.from_url(redis_server.url, decode_responses=True), worker=name, heartbeat_ttl_s=1.0)
        for name in ("worker-a", "worker-b")
    )
    yield pair  # type: ignore[misc]
    for presence in pair:
        await presence.close()


async def test_a_socket_on_one_worker_is_seen_from_the_other(workers: tuple[Presence, Presence]) -> None:
    a, b = workers
    assert not await b.connected("web-1")
    await a.joined("web-1", "sid-1")
    assert await b.connected("web-1") and await a.connected("web-1")
    assert not await b.connected("web-2")
    await a.left("web-1", "sid-1")
    assert not await b.connected("web-1")


async def test_a_second_tab_keeps_the_conversation_connected(workers: tuple[Presence, Presence]) -> None:
    a, b = workers
    await a.joined("web-3", "sid-1")
    await b.joined("web-3", "sid-2")
    await a.left("web-3", "sid-1")
    assert await a.connected("web-3")


async def test_a_dead_workers_sockets_stop_counting(
    workers: tuple[Presence, Presence], redis_server: RedisServer
) -> None:
    a, b = workers
    await a.joined("web-4", "sid-1")
    assert a._heartbeat is not None
    a._heartbeat.cancel()  # the worker dies: nobody beats for it any more
    await asyncio.sleep(1.6)
    assert not await b.connected("web-4")
    raw = aioredis.from_url(redis_server.url, decode_responses=True)
    assert await raw.smembers("shop-assistant:webchat:session:web-4") == set()  # cleaned on the way
    await raw.close()
