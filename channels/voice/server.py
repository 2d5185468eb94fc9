"""The voice gateway: ``python -m channels.voice`` (services venv; settings in channels/voice/settings.py).

Routes:

- ``GET /voice/stream``: WebSocket speaking the Twilio Media Streams protocol (serializers/twilio.py). A
  telephony provider authenticates with ``VOICE_GATEWAY_TOKEN``, in the URL (``?token=``) or as the
  custom parameter ``token`` of the ``start`` message (Twilio ``<Parameter name="token" .../>``).
  The browser page uses a short-lived, single-use ``ticket`` instead, so the token never reaches a
  browser. Anything else is refused: HTTP 401 before the upgrade, or a close with code 1008 and the
  reason. Lines are limited in total, for browsers and per address (limits.py): HTTP 503 / 429
  with the reason.
- ``GET /voice/``: a page that calls the assistant with the microphone (same protocol, no CDN).
- ``POST /voice/ticket``: a fresh ticket for the page's next call (or 503 / 429 with the reason).
- ``GET /health``: status, counters over all calls (turns, barge-ins, dropped frames, ...).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import uuid
from pathlib import Path
from string import Template

import psutil
from aiohttp import web

from channels.voice.call import Call
from channels.voice.limits import Busy, Line, Lines, TicketBook
from channels.voice.serializers.base import ProtocolError
from channels.voice.serializers.twilio import TwilioSerializer
from channels.voice.services.dialogue import RasaClient
from channels.voice.services.speech import Engines, load_engines
from channels.voice.settings import VoiceSettings
from channels.voice.stats import CallStats
from channels.voice.transports.websocket import POLICY_VIOLATION, close, relay, send, wait_for_start
from contracts.log_setup import configure_logging
from service_kit.observability import instrument

logger = logging.getLogger("channels.voice")

STATIC_DIR = Path(__file__).resolve().parent / "static"
CALL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

SETTINGS = web.AppKey("settings", VoiceSettings)
ENGINES = web.AppKey("engines", Engines)
RASA = web.AppKey("rasa", RasaClient)
STATS = web.AppKey("stats", CallStats)
SOCKETS = web.AppKey("sockets", set[web.WebSocketResponse])
TICKETS = web.AppKey("tickets", TicketBook)
LINES = web.AppKey("lines", Lines)


def valid_token(token: str, offered: str | None) -> bool:
    return bool(offered) and hmac.compare_digest(str(offered).encode(), token.encode())


def refuse(status: int, message: str, request: web.Request) -> web.Response:
    logger.warning("voice stream refused for %s: %s %s", request.remote, status, message)
    error = {401: "unauthorized", 429: "too_many_calls", 503: "busy"}.get(status, "bad_request")
    return web.json_response({"error": error, "message": message}, status=status)


async def stream(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    token, ticket = request.query.get("token"), request.query.get("ticket")
    if token is not None and not valid_token(settings.token, token):
        return refuse(401, "the token in the stream URL is not valid", request)
    kind = "provider" if token is not None else "browser" if ticket is not None else "unauthenticated"
    try:
        line = request.app[LINES].take(kind, request.remote or "")
    except Busy as busy:
        return refuse(busy.status, str(busy), request)
    try:
        if ticket is not None and not request.app[TICKETS].redeem(ticket):
            return refuse(401, "the browser ticket is not valid, was used already or has expired: call again", request)
        return await answer(request, line)
    finally:
        line.release()


async def answer(request: web.Request, line: Line) -> web.WebSocketResponse:
    """The WebSocket of one admitted stream, from ``start`` to the end of the call."""
    settings, stats = request.app[SETTINGS], request.app[STATS]
    serializer = TwilioSerializer()  # every caller speaks Twilio Media Streams (the browser page too)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=serializer.max_message_bytes)
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    call: Call | None = None
    reason = "caller hung up"
    try:
        start = await wait_for_start(ws, serializer)
        if start is None:
            return ws
        if line.kind == "unauthenticated":
            if not valid_token(settings.token, start.token):
                await close(ws, POLICY_VIOLATION, "unauthorized: send the gateway token as ?token= or with 'start'")
                return ws
            line.authenticated_as_provider()
        if line.kind == "browser":
            call_id = "web-" + uuid.uuid4().hex  # a browser cannot pick (or guess into) a conversation
        elif CALL_ID.match(start.call_id):
            call_id = start.call_id
        else:
            await close(ws, POLICY_VIOLATION, "the call id may only hold letters, digits, '_' and '-'")
            return ws
        call = Call(
            call_id=call_id,
            caller=(start.caller or line.kind)[:64],
            audio_format=start.audio_format,
            engines=request.app[ENGINES],
            rasa=request.app[RASA],
            settings=settings,
            stats=stats,
            serializer=serializer.for_stream(start),
            send=lambda text: send(ws, text),
            close_stream=lambda why: close(ws, 1000, why),
        )
        await call.start()
        reason = await relay(ws, serializer, call)
    except ProtocolError as error:
        await close(ws, POLICY_VIOLATION, str(error))
    finally:
        if call is not None:
            await call.finish(reason)
        if not ws.closed:
            await ws.close()
        request.app[SOCKETS].discard(ws)
    return ws


async def health(request: web.Request) -> web.Response:
    engines = request.app[ENGINES]
    return web.json_response(
        {
            "status": "ok",
            "recognizer": engines.recognizer.name,
            "synthesizer": engines.synthesizer.name,
            "calls": request.app[STATS].as_dict(),
            "tasks": len(asyncio.all_tasks()),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
        }
    )


async def ticket(request: web.Request) -> web.Response:
    """A single-use ticket for the page's next call; refused up front when the call would be."""
    try:
        request.app[LINES].check("browser", request.remote or "")
    except Busy as busy:
        return refuse(busy.status, str(busy), request)
    return web.json_response({"ticket": request.app[TICKETS].issue()}, headers={"Cache-Control": "no-store"})


async def to_page(_: web.Request) -> web.StreamResponse:
    """/voice without the slash: the page's relative URLs (ticket, stream) need the folder form."""
    raise web.HTTPFound("/voice/")


async def page(request: web.Request) -> web.Response:
    html = Template((STATIC_DIR / "index.html").read_text(encoding="utf-8")).substitute(
        config=json.dumps({"ticketUrl": "ticket", "stream": "stream"})
    )
    return web.Response(
        text=html,
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'self'; script-src 'self'; connect-src 'self'; "
            "style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors 'self'",
        },
    )


def create_app(settings: VoiceSettings, engines: Engines) -> web.Application:
    app = web.Application()
    instrument(app)
    app[SETTINGS] = settings
    app[ENGINES] = engines
    app[RASA] = RasaClient(settings.rasa_url, settings.token, settings.rasa_timeout_s)
    app[STATS] = CallStats()
    app[SOCKETS] = set()
    app[TICKETS] = TicketBook(settings.token, settings.ticket_ttl_s)
    app[LINES] = Lines(settings.max_calls, settings.max_browser_calls, settings.max_calls_per_address)
    app.router.add_get("/voice/stream", stream)
    app.router.add_post("/voice/ticket", ticket)
    app.router.add_get("/voice/", page)
    app.router.add_get("/voice", to_page)
    app.router.add_static("/voice/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    app.router.add_get("/health", health)

    async def hang_up_everyone(app: web.Application) -> None:
        for ws in app[SOCKETS].copy():  # each close removes its socket from the set
            await ws.close(code=1001, message=b"the voice gateway is shutting down")

    async def close_clients(app: web.Application) -> None:
        await app[RASA].close()
        app[ENGINES].close()

    app.on_shutdown.append(hang_up_everyone)
    app.on_cleanup.append(close_clients)
    return app


def main() -> None:
    configure_logging()
    try:
        settings = VoiceSettings.from_env()
    except ValueError as error:
        raise SystemExit(f"voice gateway: {error}") from None
    engines = load_engines(settings.workers)
    app = create_app(settings, engines)
    logger.info(
        "voice gateway on ws://%s:%d/voice/stream (Rasa at %s)", settings.host, settings.port, settings.rasa_url
    )
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
