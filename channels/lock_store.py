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
import time
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

Result = TypeVar("Result")


class ShopRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    def _change(self, conversation_id: str, change: Callable[[TicketLock], Result]) -> Result:
        """Applies `change` to the stored lock in one transaction; an emptied lock is deleted."""
        from redis.exceptions import WatchError

        key = self._key(conversation_id)
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else TicketLock(conversation_id)
                    result = change(lock)
                    pipe.multi()
                    if lock.tickets:
                        pipe.set(key, lock.dumps())
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except WatchError:
                    continue  # another worker changed the lock in between: read it again

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime))

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # finish_serving deletes the lock in the same transaction when no ticket is left.
        self.finish_serving(conversation_id, ticket_number)

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while not self._try_to_take(conversation_id, ticket):
            await asyncio.sleep(wait_time_in_seconds)
        logger.debug("Acquired lock for conversation '%s' (ticket %d).", conversation_id, ticket)
        return self.get_lock(conversation_id) or TicketLock(conversation_id)

    def _try_to_take(self, conversation_id: str, ticket: int, lifetime: float = LOCK_LIFETIME) -> bool:
        """Our turn when no live ticket was issued before ours. A ticket that expired while waiting is put
        back (with a fresh lifetime), so a ticket issued after it cannot go ahead at the same time."""

        def take(lock: TicketLock) -> bool:
            lock.remove_expired_tickets()
            if any(t.number < ticket for t in lock.tickets):
                return False
            if not any(t.number == ticket for t in lock.tickets):
                lock.tickets.appendleft(Ticket(ticket, time.time() + lifetime))  # every other ticket is later
            return True

        return self._change(conversation_id, take)
