"""The backends' and the graph service's access log: method, path, status, time, never the query string
(`/search?text=…` carries what the shopper wrote)."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiohttp import web

from service_kit.app import PathOnlyAccessLogger


async def test_the_access_log_has_the_path_and_status_but_not_the_query(caplog: pytest.LogCaptureFixture) -> None:
    async def search(request: web.Request) -> web.Response:
        return web.json_response({"hits": []})

    app = web.Application()
    app.router.add_get("/search", search)
    runner = web.AppRunner(app, access_log_class=PathOnlyAccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with aiohttp.ClientSession() as http:
                await (await http.get(f"http://127.0.0.1:{port}/search", params={"text": "my quokkaberry"})).read()
    finally:
        await runner.cleanup()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 1 and lines[0].startswith("GET /search 200 "), lines
    assert "quokkaberry" not in lines[0] and "?" not in lines[0]
