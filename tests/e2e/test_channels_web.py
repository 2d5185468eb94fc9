"""The shop page server (channels/web/server.py): settings, no-CDN bundle, headers; then the live one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from channels.web.server import FONT_IMPORT, WIDGET_BUNDLE, PageConfig, create_app, load_widget_bundle

FAKE_BUNDLE = b"/* widget */" + FONT_IMPORT + b"window.WebChat={default:function(){}};"


def settings_in(page: str) -> dict[str, Any]:
    match = re.search(r'<script id="chat-settings" type="application/json">(.*?)</script>', page, re.S)
    assert match, "the page has no widget settings"
    return json.loads(match.group(1))


async def client_for(config: PageConfig, bundle: bytes = FAKE_BUNDLE) -> TestClient:
    client = TestClient(TestServer(create_app(config, bundle=bundle)))
    await client.start_server()
    return client


def test_config_from_environment() -> None:
    config = PageConfig.from_env(
        {
            "WEB_HOST": "0.0.0.0",
            "WEB_PORT": "8181",
            "RASA_PUBLIC_URL": "https://chat.shop.example/",
            "CHAT_TITLE": "Ask Ada",
            "CHAT_INIT_PAYLOAD": "",
        }
    )
    assert (config.host, config.port, config.rasa_public_url) == ("0.0.0.0", 8181, "https://chat.shop.example")
    assert config.widget_settings()["title"] == "Ask Ada"
    assert config.widget_settings()["initPayload"] is None
    assert "wss://chat.shop.example" in config.content_security_policy()
    defaults = PageConfig.from_env({})
    assert (defaults.host, defaults.port, defaults.rasa_public_url) == ("127.0.0.1", 8080, "http://127.0.0.1:5005")


@pytest.mark.parametrize("url", ["127.0.0.1:5005", "ftp://x", "javascript:alert(1)", "http://"])
def test_rasa_public_url_must_be_http(url: str) -> None:
    with pytest.raises(ValueError, match="RASA_PUBLIC_URL"):
        PageConfig.from_env({"RASA_PUBLIC_URL": url})


async def test_page_carries_escaped_settings_and_security_headers() -> None:
    config = PageConfig(shop_name="Bob's <Bikes>", chat_title="</script><script>alert(1)</script>")
    client = await client_for(config)
    try:
        resp = await client.get("/")
        page = await resp.text()
        assert resp.status == 200
        assert "Bob&#x27;s &lt;Bikes&gt;" in page and "<Bikes>" not in page
        assert "</script><script>alert(1)" not in page
        settings = settings_in(page)
        assert settings["socketUrl"] == "http://127.0.0.1:5005"
        assert settings["title"] == config.chat_title
        assert settings["socketPath"] == "/socket.io/"
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005" in csp
        assert "https://" not in page.split("<body>")[0], "the page head must not load anything from elsewhere"
    finally:
        await client.close()


async def test_widget_bundle_is_served_without_the_font_cdn() -> None:
    client = await client_for(PageConfig())
    try:
        resp = await client.get("/widget/webchat.js")
        assert resp.status == 200
        assert resp.content_type == "application/javascript"
        body = await resp.read()
        assert b"fonts.googleapis.com" not in body and b"window.WebChat" in body
        again = await client.get("/widget/webchat.js", headers={"If-None-Match": resp.headers["ETag"]})
        assert again.status == 304
        for path, status in (("/health", 200), ("/static/app.js", 200), ("/static/../server.py", 404)):
            assert (await client.get(path)).status == status, path
    finally:
        await client.close()


def test_installed_bundle_is_rasa_webchat_1_0_1_with_only_the_known_font_import() -> None:
    if not WIDGET_BUNDLE.exists():
        pytest.fail("rasa-webchat is not installed: run `npm ci --prefix channels/web`", pytrace=False)
    package = json.loads((WIDGET_BUNDLE.parents[1] / "package.json").read_text())
    assert package["version"] == "1.0.1"
    bundle = load_widget_bundle()
    assert b"socket.io-client" in bundle
    # Every CDN reference in the bundle is the font import the server removes.
    assert bundle.count(b"fonts.googleapis.com") == bundle.count(FONT_IMPORT) > 0


def test_missing_widget_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="npm ci --prefix channels/web"):
        load_widget_bundle(tmp_path / "index.js")


async def test_live_page_points_the_widget_at_rasa(stack: Any) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(stack.web_url + "/health") as resp:
            assert resp.status == 200
        async with http.get(stack.web_url + "/") as resp:
            settings = settings_in(await resp.text())
        assert settings["socketUrl"] == stack.rasa_url
        async with http.get(stack.rasa_url + "/webhooks/socketio/") as resp:
            assert resp.status == 200
