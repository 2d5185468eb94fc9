"""Hand-off requests the desk could not take yet, kept on disk until it can.

When the desk is down the shopper is told a colleague will follow up, and the request (transcript
and all) waits here, in a SQLite file under the assistant's state directory, so neither a desk
outage nor an action-server restart loses it. A retry loop runs for the whole life of the action
server (started when the server starts, see actions/handoff.py `start_outbox_retries`), not only
after the next hand-off; rows are claimed before they are sent, so two action-server workers never
send one twice. `python -m actions.handoff_outbox_cli` delivers what is pending by hand (e.g. from cron).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from contracts.handoff_queue import DurableQueue
from service_clients.handoff import DeskRejected, DeskUnavailable
from settings_kit.settings import ServiceSettings

logger = logging.getLogger(__name__)

Deliver = Callable[[Mapping[str, Any]], Awaitable[object]]


class OutboxSettings(ServiceSettings):
    """HANDOFF_OUTBOX_RETRY_S, and the state directory (ASSISTANT_VAR) the queue file lives in."""

    retry_every_s: float = Field(default=15.0, gt=0, le=3600, validation_alias="HANDOFF_OUTBOX_RETRY_S")
    var_dir: Path = Field(default=Path(__file__).resolve().parent.parent / "var", validation_alias="ASSISTANT_VAR")


def default_path() -> Path:
    return OutboxSettings.from_env().var_dir / "handoff-outbox.sqlite"


class HandoffOutbox(DurableQueue):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._retrying: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}

    def put(self, request: Mapping[str, Any], rejected_because: str | None = None) -> int:
        row_id = super().put(request, rejected_because)
        what = f"kept as rejected ({rejected_because})" if rejected_because else "queued (desk unavailable)"
        logger.warning("hand-off for %s %s in %s", request.get("conversation_id"), what, self.path)
        return row_id

    async def deliver_pending(self, deliver: Deliver) -> int:
        """Sends what is queued, oldest first; stops while the desk is unavailable, sets aside what it
        rejects (an operator looks at `rejected()`). Returns how many went."""
        sent = await self.send_pending(deliver, permanent=(DeskRejected,), transient=(DeskUnavailable,))
        if sent:
            logger.info("%d queued hand-off(s) delivered to the desk", sent)
        return sent

    def keep_retrying(self, deliver: Deliver, every_s: float | None = None) -> None:
        """Starts (once per event loop) a task that delivers pending requests every `every_s` (default
        HANDOFF_OUTBOX_RETRY_S), for as long as the loop runs: an outage ending while nobody asks for a
        person is still caught up."""
        if every_s is None:
            every_s = OutboxSettings.from_env().retry_every_s
        loop = asyncio.get_running_loop()
        task = self._retrying.get(loop)
        if task is not None and not task.done():
            return

        async def retry() -> None:
            while True:
                await asyncio.sleep(every_s)
                try:
                    if self.pending():
                        await self.deliver_pending(deliver)
                except Exception:  # a bug must not kill the retry loop silently
                    logger.exception("retrying queued hand-offs failed")

        self._retrying[loop] = loop.create_task(retry())

    def retrying(self) -> bool:
        task = self._retrying.get(asyncio.get_running_loop())
        return task is not None and not task.done()
