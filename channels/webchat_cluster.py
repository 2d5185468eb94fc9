"""The web chat across several Rasa workers: emits and presence shared through Redis.

With ASSISTANT_RASA_WORKERS > 1 (bot/balancer.py) a browser's socket lives on one worker, but an
agent's reply from the desk reaches whichever worker the balancer picks. Two things make that work:

- python-socketio's `AsyncRedisManager` publishes every emit to all workers, and the worker whose
  socket is in the conversation's room delivers it;
- `Presence` records which conversations have a socket on which worker, so any worker can tell the
  desk truthfully whether a reply was delivered "live" or "stored" (replayed on reconnect). Entries
  of a worker that died count only while its heartbeat key lives (`heartbeat_ttl_s`), so a crash
  turns into "stored", never into a reply reported live that nobody saw.

Only used when the channel's credentials carry `redis_url` (the launcher sets WEBCHAT_REDIS_URL with
the PostgreSQL/Redis stores); a single worker keeps everything in its own memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

logger = logging.getLogger(__name__)

KEY_PREFIX = "shop-assistant:webchat"
PUBSUB_CHANNEL = f"{KEY_PREFIX}:emits"
HEARTBEAT_TTL_S = 30.0


def share_emits_through_redis(sio: Any, redis_url: str) -> None:
    """Swaps the server's in-memory client manager for python-socketio's Redis one, before the first
    connection (the server initialises its manager then)."""
    from socketio import AsyncRedisManager

    if getattr(sio, "manager_initialized", False):
        raise RuntimeError("the socket.io server already took connections: its manager cannot change now")
    manager = AsyncRedisManager(redis_url, channel=PUBSUB_CHANNEL)
    manager.set_server(sio)
    sio.manager = manager


class Presence:
    """Which conversations have a socket on which worker, in Redis: `<prefix>:session:<id>` is a set
    of "<worker>:<sid>", `<prefix>:worker:<worker>` a key the worker keeps alive while it runs."""

    def __init__(self, redis: Any, worker: str | None = None, heartbeat_ttl_s: float = HEARTBEAT_TTL_S) -> None:
        self.redis = redis
        self.worker = worker or uuid.uuid4().hex
        self.heartbeat_ttl_s = heartbeat_ttl_s
        self._heartbeat: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, redis_url: str) -> Presence:
        from redis import asyncio as aioredis

        return cls(aioredis.from_url(redis_url, decode_responses=True, socket_timeout=2))

    def _session_key(self, session_id: str) -> str:
        return f"{KEY_PREFIX}:session:{session_id}"

    def _worker_key(self, worker: str) -> str:
        return f"{KEY_PREFIX}:worker:{worker}"

    async def joined(self, session_id: str, sid: str) -> None:
        await self._beat()
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._keep_beating())
        await self.redis.sadd(self._session_key(session_id), f"{self.worker}:{sid}")

    async def left(self, session_id: str, sid: str) -> None:
        await self.redis.srem(self._session_key(session_id), f"{self.worker}:{sid}")

    async def connected(self, session_id: str) -> bool:
        """A socket of the conversation is open on a live worker (stale entries are removed on the way)."""
        key = self._session_key(session_id)
        members = sorted(await self.redis.smembers(key))
        if not members:
            return False
        workers = [member.split(":", 1)[0] for member in members]
        alive = await self.redis.mget([self._worker_key(worker) for worker in workers])
        stale = [member for member, beat in zip(members, alive, strict=True) if beat is None]
        if stale:
            await self.redis.srem(key, *stale)
        return len(stale) < len(members)

    async def _beat(self) -> None:
        await self.redis.set(self._worker_key(self.worker), "1", ex=max(1, round(self.heartbeat_ttl_s)))

    async def _keep_beating(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_ttl_s / 3)
            try:
                await self._beat()
            except Exception as error:  # Redis away for a moment: the next beat tries again
                logger.warning("web chat presence heartbeat failed: %s", error)

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        with contextlib.suppress(Exception):
            await self.redis.delete(self._worker_key(self.worker))
        await self.redis.close()
