"""The Redis lock store several Rasa workers share (channels/lock_store.py), on a real redis-server,
with two store objects standing for two workers."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import REGISTRY
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from channels.lock_store import ShopRedisLockStore
from tests.support.redis import RedisServer, running_redis


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


CREATED: list[ShopRedisLockStore] = []


@pytest.fixture(autouse=True)
def heartbeats_stop_after_each_test() -> Iterator[None]:
    """A store's heartbeat thread would go on beating at a Redis server this module stops."""
    yield
    while CREATED:
        CREATED.pop().stop_heartbeat()


def shop_store(redis: RedisServer, heartbeat_s: float | None = None) -> ShopRedisLockStore:
    """As Rasa creates it from endpoints.yml."""
    config = EndpointConfig(url=redis.host, port=redis.port, db=1)
    CREATED.append(ShopRedisLockStore(endpoint_config=config, heartbeat_s=heartbeat_s))
    return CREATED[-1]


def store(redis: RedisServer, kind: type[RedisLockStore] = ShopRedisLockStore) -> RedisLockStore:
    return shop_store(redis) if kind is ShopRedisLockStore else kind(host=redis.host, port=redis.port, db=1)


async def wait_after_a_dead_worker(worker_b: RedisLockStore, redis: RedisServer, conversation: str) -> float:
    """Worker A takes a ticket and stops (its heartbeat goes on: alive but stuck, or Rasa's own store);
    B asks 50 ms later. Seconds until B gets the lock."""
    store(redis).issue_ticket(conversation, lock_lifetime=1.0)  # A, never cleaned up
    await asyncio.sleep(0.05)
    started = time.monotonic()
    async with worker_b.lock(conversation, lock_lifetime=1.0, wait_time_in_seconds=0.2):
        return time.monotonic() - started


async def test_a_message_after_a_stuck_workers_ticket_waits_only_for_its_lifetime(redis_server: RedisServer) -> None:
    waited = await asyncio.wait_for(wait_after_a_dead_worker(store(redis_server), redis_server, "conv-dead"), 10)
    assert 0.8 <= waited <= 2.5, waited


async def test_a_dead_workers_ticket_is_dropped_when_its_heartbeat_stops_not_after_its_lifetime(
    redis_server: RedisServer,
) -> None:
    dead, alive = (shop_store(redis_server, heartbeat_s=1.0) for _ in range(2))
    dead_ticket = dead.issue_ticket("conv-killed", lock_lifetime=60)  # as a worker holding a turn when kill -9 came
    dead.stop_heartbeat()  # its key now expires within 1 s, as a killed process's does
    started = time.monotonic()
    async with alive.lock("conv-killed", lock_lifetime=60, wait_time_in_seconds=0.05):
        waited = time.monotonic() - started
        lock = alive.get_lock("conv-killed")
        assert lock is not None
        assert [t.number for t in lock.tickets] == [dead_ticket + 1], "only the live worker's ticket is left"
    assert 0.3 <= waited <= 3.0, waited
    assert alive.red.exists("shop_lock_owner:conv-killed") == 0, "the owners go with the emptied lock"


async def test_a_live_workers_long_turn_is_waited_for(redis_server: RedisServer) -> None:
    busy, waiting = (shop_store(redis_server, heartbeat_s=1.0) for _ in range(2))
    async with busy.lock("conv-long", lock_lifetime=60, wait_time_in_seconds=0.05):
        with pytest.raises(asyncio.TimeoutError):  # 2.5 s: longer than the heartbeat's expiry
            await asyncio.wait_for(waiting.lock("conv-long", 60, 0.05).__aenter__(), 2.5)


async def test_rasas_own_store_waits_forever_there(redis_server: RedisServer) -> None:
    """The fault the subclass exists for: both tickets expire in one poll and Rasa's waiter never goes on."""
    rasas = store(redis_server, RedisLockStore)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(wait_after_a_dead_worker(rasas, redis_server, "conv-dead-rasa"), 5)


def test_two_workers_issuing_at_once_never_share_a_ticket(redis_server: RedisServer) -> None:
    workers = [store(redis_server) for _ in range(4)]
    with ThreadPoolExecutor(8) as pool:
        tickets = list(pool.map(lambda i: workers[i % 4].issue_ticket("conv-race", 30), range(200)))
    assert len(set(tickets)) == 200
    lock = workers[0].get_lock("conv-race")
    assert lock is not None and len(lock.tickets) == 200


async def test_turns_of_one_conversation_on_two_workers_never_overlap(redis_server: RedisServer) -> None:
    workers = [store(redis_server), store(redis_server)]
    inside, overlaps, done = 0, 0, []

    async def turn(index: int) -> None:
        nonlocal inside, overlaps
        async with workers[index % 2].lock("conv-turns", lock_lifetime=10, wait_time_in_seconds=0.01):
            inside += 1
            overlaps += inside > 1
            await asyncio.sleep(0.01)
            inside -= 1
            done.append(index)

    waits = REGISTRY.get_sample_value("shop_conversation_lock_wait_seconds_count") or 0.0
    waited = REGISTRY.get_sample_value("shop_conversation_lock_wait_seconds_sum") or 0.0
    await asyncio.gather(*(turn(i) for i in range(20)))
    assert overlaps == 0 and sorted(done) == list(range(20))
    assert REGISTRY.get_sample_value("shop_conversation_lock_wait_seconds_count") == waits + 20, "each turn's wait"
    # 20 turns of 10 ms in a row: the later ones waited for the earlier ones, about 1.9 s in all.
    assert REGISTRY.get_sample_value("shop_conversation_lock_wait_seconds_sum") - waited > 1.0
    assert workers[0].get_lock("conv-turns") is None  # cleaned up when the last turn finished


def test_a_heartbeat_that_fails_warns_once_not_every_second(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    lonely = ShopRedisLockStore(host="127.0.0.1", port=1, db=1, heartbeat_s=0.3, socket_timeout=0.2)  # no Redis there
    CREATED.append(lonely)
    with caplog.at_level(logging.WARNING, logger="channels.lock_store"):
        time.sleep(1.5)  # about 15 failed beats
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["lock store heartbeat failed"]


def test_a_forgotten_store_stops_its_heartbeat(redis_server: RedisServer) -> None:
    forgotten = ShopRedisLockStore(endpoint_config=EndpointConfig(url=redis_server.host, port=redis_server.port, db=1))
    before = threading.active_count()
    del forgotten
    gc.collect()
    deadline = time.monotonic() + 3
    while threading.active_count() >= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() < before, "the heartbeat thread ended with its store"
