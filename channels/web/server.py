"""The shop's web page with the chat widget: ``python -m channels.web.server`` (services venv).

Serves ``index.html``, its CSS/JS and the rasa-webchat bundle from ``channels/web/node_modules``
(installed by ``npm ci --prefix channels/web``), so the browser fetches nothing from a CDN. The
widget talks socket.io directly to the Rasa server at ``RASA_PUBLIC_URL``.

Environment: ``WEB_HOST`` (127.0.0.1), ``WEB_PORT`` (8080), ``RASA_PUBLIC_URL``
(http://127.0.0.1:5005), ``SHOP_NAME``, ``CHAT_TITLE``, ``CHAT_SUBTITLE`` (the greeting under the
title), ``CHAT_INIT_PAYLOAD`` (sent when the chat opens; default ``/greet``, empty for none).
The widget's own words (title, subtitle, input hint, "connecting") are the ``web_chat`` messages of
the catalogue (bot/texts/<language>.yml) unless CHAT_TITLE / CHAT_SUBTITLE set them for this site.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from string import Template
from typing import Annotated
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import AfterValidator, Field
from pydantic_settings import SettingsConfigDict

from contracts.log_setup import configure_logging
from contracts.texts import texts
from service_kit.observability import instrument
from settings_kit.settings import ServiceSettings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
WIDGET_BUNDLE = WEB_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"
# The bundle's CSS imports the Inter font from Google; the page must not reach a CDN, so the
# import is removed when the bundle is served (the widget falls back to the system sans-serif).
FONT_IMPORT = b"@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);"

logger = logging.getLogger("channels.web")


def _http_url(url: str) -> str:
    url = url.rstrip("/")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ValueError(f"must be an http(s) URL, got {url!r}")
    return url


class PageConfig(ServiceSettings):
    """Everything the page needs, from the environment. An empty CHAT_INIT_PAYLOAD means none, so
    here an empty variable is a value, not "unset"."""

    model_config = SettingsConfigDict(env_ignore_empty=False)

    host: str = Field("127.0.0.1", validation_alias="WEB_HOST")
    port: int = Field(8080, ge=1, le=65535, validation_alias="WEB_PORT")
    rasa_public_url: Annotated[str, AfterValidator(_http_url)] = Field(
        "http://127.0.0.1:5005", validation_alias="RASA_PUBLIC_URL"
    )
    shop_name: str = Field("Northwind Outfitters", validation_alias="SHOP_NAME")
    # Empty or unset: the catalogue's web_chat.title / web_chat.subtitle.
    chat_title: str = Field("", validation_alias="CHAT_TITLE")
    chat_subtitle: str = Field("", validation_alias="CHAT_SUBTITLE")
    init_payload: str = Field("/greet", validation_alias="CHAT_INIT_PAYLOAD")

    def title(self) -> str:
        return self.chat_title or texts().text("web_chat.title")

    def widget_settings(self) -> dict[str, object]:
        """Props for ``WebChat.default(...)``: see rasa-webchat's README."""
        catalogue = texts()
        return {
            "socketUrl": self.rasa_public_url,
            "socketPath": "/socket.io/",
            "title": self.title(),
            "subtitle": self.chat_subtitle or catalogue.text("web_chat.subtitle"),
            "initPayload": self.init_payload or None,
            "inputTextFieldHint": catalogue.text("web_chat.input_hint"),
            "connectingText": catalogue.text("web_chat.connecting"),
            "customData": {"language": catalogue.language},
            "params": {"storage": "session"},
        }

    def content_security_policy(self) -> str:
        """Scripts, styles and fonts only from this server; sockets only to Rasa."""
        parts = urlsplit(self.rasa_public_url)
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        rasa = f"{parts.scheme}://{parts.netloc} {ws_scheme}://{parts.netloc}"
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self' 'unsafe-inline'",  # the widget injects its CSS at run time
                "font-src 'self' data:",  # the carousel's icon font is inlined
                "img-src 'self' data: https:",  # bot responses may carry product images
                "media-src 'self' https:",
                "frame-src https:",  # video attachments
                f"connect-src 'self' {rasa}",
                "base-uri 'none'",
                "form-action 'self'",
                "frame-ancestors 'self'",
            ]
        )


def render_index(config: PageConfig) -> bytes:
    """Fill the page template; settings go in as inert JSON that ``app.js`` reads."""
    settings = json.dumps(config.widget_settings()).replace("<", "\\u003c")
    page = Template((WEB_DIR / "index.html").read_text(encoding="utf-8")).substitute(
        shop_name=html.escape(config.shop_name),
        chat_title=html.escape(config.title()),
        widget_settings=settings,
    )
    return page.encode()


def load_widget_bundle(path: Path = WIDGET_BUNDLE) -> bytes:
    """Read the rasa-webchat UMD bundle, or say how to install it."""
    if not path.is_file():
        raise FileNotFoundError(f"rasa-webchat is not installed ({path} missing): run 'npm ci --prefix channels/web'")
    return path.read_bytes()


def create_app(config: PageConfig, bundle: bytes | None = None) -> web.Application:
    """Build the aiohttp app: ``/``, ``/static/*``, ``/widget/webchat.js``, ``/health``."""
    bundle = (load_widget_bundle() if bundle is None else bundle).replace(FONT_IMPORT, b"")
    bundle_etag = '"' + hashlib.sha256(bundle).hexdigest()[:32] + '"'
    index = render_index(config)
    security_headers = {
        "Content-Security-Policy": config.content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }

    async def index_page(_: web.Request) -> web.Response:
        return web.Response(
            body=index,
            content_type="text/html",
            charset="utf-8",
            headers={**security_headers, "Cache-Control": "no-cache"},
        )

    async def widget(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == bundle_etag:
            return web.Response(status=304, headers={"ETag": bundle_etag})
        return web.Response(
            body=bundle,
            content_type="application/javascript",
            charset="utf-8",
            headers={"ETag": bundle_etag, "Cache-Control": "public, max-age=3600", **security_headers},
        )

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "rasa_public_url": config.rasa_public_url})

    @web.middleware
    async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        for name, value in security_headers.items():
            response.headers.setdefault(name, value)
        return response

    app = web.Application(middlewares=[headers])
    instrument(app)
    app.router.add_get("/", index_page)
    app.router.add_get("/index.html", index_page)
    app.router.add_get("/widget/webchat.js", widget)
    app.router.add_get("/health", health)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    return app


def main() -> None:
    configure_logging()
    try:
        config = PageConfig.from_env()
        app = create_app(config)
    except (ValueError, FileNotFoundError) as error:
        logger.error("%s", error)
        sys.exit(2)
    logger.info("shop page on http://%s:%d/ (Rasa at %s)", config.host, config.port, config.rasa_public_url)
    web.run_app(app, host=config.host, port=config.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
