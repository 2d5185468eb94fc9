"""Rasa's Redis lock store, made safe for several Rasa workers (bot/endpoints.postgres.yml).

Rasa serialises the turns of one conversation with a ticket lock kept in Redis. Its `RedisLockStore`
has two faults that only show with more than one worker:

1. **A waiter can wait forever.** Every ticket expires `TICKET_LOCK_LIFETIME` after it is issued, the
   waiting ones too. When a worker dies holding a conversation's ticket, a ticket issued within a
   second after it expires in the same poll as the dead one; both are removed, and Rasa then compares
   its ticket with "now serving" = 0 of an empty lock and waits until the HTTP request times out
   (measured: a message after `kill -9` of the worker that had the previous one hung for 90 s, until
   the balancer gave up). Here a ticket goes ahead when no live ticket was issued before it, and is
   put back into the lock if it expired while waiting.
2. **Read-modify-write without a transaction.** Issuing, finishing and cleaning up read the lock,
   change it and write it back, so two workers at the same instant can both take ticket N, or drop the
   ticket the other just added. Here each change is one Redis transaction (WATCH/MULTI, retried when
   another worker changed the lock in between).

And one improvement: **a dead worker's ticket is dropped at once, not after its lifetime.** Each store
(one per Rasa worker process) keeps a heartbeat key in Redis (`shop_lock_worker:<id>`, refreshed every
second by a thread, expiring after `LOCK_WORKER_HEARTBEAT_S`, 5 s) and writes which worker holds
each ticket (`shop_lock_owner:<conversation>`, a hash kept in the same transactions as the lock). A
waiting turn drops an earlier ticket whose worker's heartbeat is gone: after `kill -9` of a worker the
conversation's next message waits about 5 s, not `TICKET_LOCK_LIFETIME` (the lifetime stays the limit
for a worker that is alive but stuck, and for tickets without an owner).

endpoints::

    lock_store:
      type: channels.lock_store.ShopRedisLockStore
      url: ${LOCK_REDIS_HOST}
      port: ${LOCK_REDIS_PORT}
      db: 1
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from channels.rasa_metrics import LOCK_WAIT_SECONDS

logger = logging.getLogger(__name__)

Result = TypeVar("Result")


OWNER_PREFIX = "shop_lock_owner:"
WORKER_PREFIX = "shop_lock_worker:"
DEFAULT_HEARTBEAT_S = 5.0
HEARTBEAT_WARNING_EVERY_S = 60.0
Owners = dict[int, str]  # ticket number -> the worker that holds it


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def keep_beating(store_ref: weakref.ref[ShopRedisLockStore], stopped: threading.Event) -> None:
    """The heartbeat thread: until stopped, or the store is gone (the thread must not keep it alive).
    Redis away: one warning, then one a minute while it stays away; the next beat tries again."""
    failing_since: float | None = None
    warned_at: float | None = None
    while True:
        store = store_ref()
        if store is None:
            return
        interval = min(1.0, store.heartbeat_s / 3)
        try:
            store._beat()
            if failing_since is not None:
                logger.info("lock store heartbeat works again after %.0f s", time.monotonic() - failing_since)
            failing_since = warned_at = None
        except Exception as error:
            now = time.monotonic()
            failing_since = failing_since or now
            if warned_at is None or now - warned_at >= HEARTBEAT_WARNING_EVERY_S:
                logger.warning("lock store heartbeat failed: %s", error)
                warned_at = now
        del store
        if stopped.wait(interval):
            return


class ShopRedisLockStore(RedisLockStore):
    def __init__(
        self, endpoint_config: EndpointConfig | None = None, heartbeat_s: float | None = None, **kwargs: Any
    ) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self.worker = uuid.uuid4().hex
        self.heartbeat_s = heartbeat_s or float(os.environ.get("LOCK_WORKER_HEARTBEAT_S", DEFAULT_HEARTBEAT_S))
        self._stopped = threading.Event()
        self._beaten = threading.Event()  # Redis may be away at start: the thread's first beat is not awaited
        beating = threading.Thread(
            target=keep_beating, args=(weakref.ref(self), self._stopped), name="lock-store-heartbeat", daemon=True
        )
        beating.start()

    def _worker_key(self, worker: str) -> str:
        return WORKER_PREFIX + worker

    def _beat(self) -> None:
        self.red.set(self._worker_key(self.worker), "1", px=max(1, round(self.heartbeat_s * 1000)))
        self._beaten.set()

    def stop_heartbeat(self) -> None:
        """Stops beating (the key expires on its own, as when the process dies)."""
        self._stopped.set()

    def _key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    def _change(self, conversation_id: str, change: Callable[[TicketLock, Owners, Any], Result]) -> Result:
        """Applies `change` to the stored lock and its owners in one transaction (it may read other keys
        through the pipeline it gets); an emptied lock is deleted with its owners."""
        from redis.exceptions import WatchError

        key, owners_key = self._key(conversation_id), OWNER_PREFIX + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key, owners_key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else TicketLock(conversation_id)
                    owners = {int(text(n)): text(w) for n, w in pipe.hgetall(owners_key).items()}
                    result = change(lock, owners, pipe)
                    live = {t.number for t in lock.tickets}
                    owners = {number: worker for number, worker in owners.items() if number in live}
                    pipe.multi()
                    if lock.tickets:
                        pipe.set(key, lock.dumps())
                    else:
                        pipe.delete(key)
                    pipe.delete(owners_key)
                    if owners:
                        pipe.hset(owners_key, mapping=owners)
                    pipe.execute()
                    return result
                except WatchError:
                    continue  # another worker changed the lock in between: read it again

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        if not self._beaten.is_set():
            self._beat()  # a ticket of a worker without a heartbeat would be dropped by the others at once

        def issue(lock: TicketLock, owners: Owners, _pipe: Any) -> int:
            number = lock.issue_ticket(lock_lifetime)
            owners[number] = self.worker
            return number

        return self._change(conversation_id, issue)

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock, _owners, _pipe: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock, _owners, _pipe: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # finish_serving deletes the lock in the same transaction when no ticket is left.
        self.finish_serving(conversation_id, ticket_number)

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        started = time.perf_counter()
        while not self._try_to_take(conversation_id, ticket):
            await asyncio.sleep(wait_time_in_seconds)
        LOCK_WAIT_SECONDS.observe(time.perf_counter() - started)
        logger.debug("Acquired lock for conversation '%s' (ticket %d).", conversation_id, ticket)
        return self.get_lock(conversation_id) or TicketLock(conversation_id)

    def _try_to_take(self, conversation_id: str, ticket: int, lifetime: float = LOCK_LIFETIME) -> bool:
        """Our turn when no live ticket was issued before ours. A ticket that expired while waiting is put
        back (with a fresh lifetime), so a ticket issued after it cannot go ahead at the same time."""

        def take(lock: TicketLock, owners: Owners, pipe: Any) -> bool:
            lock.remove_expired_tickets()
            self._drop_tickets_of_dead_workers(lock, owners, pipe, before=ticket)
            if any(t.number < ticket for t in lock.tickets):
                return False
            if not any(t.number == ticket for t in lock.tickets):
                lock.tickets.appendleft(Ticket(ticket, time.time() + lifetime))  # every other ticket is later
                owners[ticket] = self.worker
            return True

        return self._change(conversation_id, take)

    def _drop_tickets_of_dead_workers(self, lock: TicketLock, owners: Owners, pipe: Any, before: int) -> None:
        """Removes the tickets before ours whose worker stopped beating (it died holding them)."""
        others = {t.number: owners[t.number] for t in lock.tickets if t.number < before and t.number in owners}
        for number, worker in others.items():
            if worker != self.worker and not pipe.exists(self._worker_key(worker)):
                lock.remove_ticket_for(number)
                logger.warning(
                    "conversation %s: dropped ticket %d of worker %s, which stopped (no heartbeat)",
                    lock.conversation_id,
                    number,
                    worker,
                )
