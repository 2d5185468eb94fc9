"""A backend's real aiohttp app on a real port, in a thread with its own event loop: what the sync
schemathesis calls need. Used by the orders, pricing and recommendations schemathesis tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from tests.support.servers import free_port


@contextmanager
def serving(app: web.Application, what: str, start_timeout_s: float = 30) -> Iterator[str]:
    runner = web.AppRunner(app)
    port, loop, started = free_port(), asyncio.new_event_loop(), threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(start_timeout_s), f"the {what} app did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
