"""The agents' desk: login, queue, conversations, replies, notes, hand-back, and the live WebSocket.

Every route here needs an agent session cookie except the page itself, its static files and the
login call; the service token does not work here (see app.py's middleware)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from handoff.api import SERVICE
from handoff.models import Agent
from handoff.passwords import DUMMY_HASH, verify_password
from handoff.service import HandoffService
from handoff.sessions import COOKIE, LoginThrottle, SessionCodec
from service_kit import http
from service_kit.errors import BadRequest, DomainError, Invalid

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
CODEC = web.AppKey("session_codec", SessionCodec)
THROTTLE = web.AppKey("login_throttle", LoginThrottle)
COOKIE_SECURE = web.AppKey("cookie_secure", bool)
TRUSTED_PROXIES = web.AppKey("trusted_proxies", frozenset)
AGENT = web.RequestKey("agent", Agent)  # set by the session middleware
MAX_TEXT = 5000
SESSION_ENDED = 4001  # WebSocket close code: log in again
SESSION_CHECK_S = 10.0  # how often an open desk socket re-checks its agent
# Paths under /desk/ that work without a session.
PUBLIC = frozenset({"/desk", "/desk/", "/desk/index.html", "/desk/api/login"})

routes = web.RouteTableDef()


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


class LoginFailed(DomainError):
    status = 401
    code = "unauthorized"


def is_public(path: str) -> bool:
    return path in PUBLIC or path.startswith("/desk/static/")


def service(request: web.Request) -> HandoffService:
    return request.app[SERVICE]


def agent(request: web.Request) -> Agent:
    return request[AGENT]


async def text_body(request: web.Request, *names: str) -> dict[str, str]:
    data = await http.read_json(request, BadRequest)
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object.")
    result = {}
    for name in names:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"Invalid {name}: give some text.", fields={name: "required"})
        if len(value) > MAX_TEXT:
            raise Invalid(f"Invalid {name}: at most {MAX_TEXT} characters.", fields={name: "too long"})
        result[name] = value.strip()
    return result


def ticket_id(request: web.Request, key: str = "ticket_id") -> int:
    raw = request.match_info[key]
    if not raw.isdigit() or len(raw) > 12:
        raise Invalid(f"{key} must be a whole number.", fields={key: "must be a number"})
    return int(raw)


# -- the page --------------------------------------------------------------------------------


@routes.get("/desk")
async def desk_redirect(_: web.Request) -> web.Response:
    raise web.HTTPFound("/desk/")


@routes.get("/desk/")
@routes.get("/desk/index.html")
async def desk_page(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


# -- session ---------------------------------------------------------------------------------


@routes.post("/desk/api/login")
async def login(request: web.Request) -> web.Response:
    body = await text_body(request, "name", "password")
    name, throttle = body["name"].lower(), request.app[THROTTLE]
    address = client_address(request)
    keys = (f"name:{name}", f"ip:{address}")
    wait = throttle.locked_for(*keys)
    if wait > 0:
        logger.warning("login for %r from %s refused: locked out", name, address)
        raise TooManyAttempts(f"Too many failed logins; try again in {int(wait) + 1} seconds.")
    found = await service(request).store.agent(name)
    # The hash is checked even for unknown names so timing does not reveal which names exist; scrypt
    # runs in a thread so a burst of logins does not stall the live desk.
    stored = found.password_hash if found else DUMMY_HASH
    valid = await asyncio.to_thread(verify_password, body["password"], stored)
    if not (found and valid and found.active):
        throttle.failed(*keys)
        await service(request).store.audit(name[:64], None, "login_failed", {"remote": address})
        logger.warning("failed login for %r from %s", name, address)
        raise LoginFailed("Wrong name or password.")
    throttle.succeeded(keys[0])
    await service(request).store.audit(found.name, None, "login", {"remote": address})
    response = web.json_response({"name": found.name, "display_name": found.display_name})
    set_session_cookie(request, response, request.app[CODEC].issue(found.name, found.session_version))
    return response


def client_address(request: web.Request) -> str:
    """The agent's address for the login lockout. Behind a reverse proxy listed in
    HANDOFF_TRUSTED_PROXIES every request comes from the proxy, so the client is the right-most
    X-Forwarded-For entry that is not itself a trusted proxy; anyone else's X-Forwarded-For is ignored
    (a client must not pick a fresh address per attempt)."""
    trusted, remote = request.app[TRUSTED_PROXIES], request.remote or "unknown"
    if remote not in trusted:
        return remote
    hops = [hop.strip() for hop in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if hop not in trusted:
            return hop
    return remote


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        path="/desk",
        httponly=True,
        samesite="Strict",
        secure=request.app[COOKIE_SECURE],
        max_age=None,
    )


@routes.post("/desk/api/logout")
async def logout(request: web.Request) -> web.Response:
    me = agent(request)
    await service(request).store.end_sessions(me.name)
    await service(request).hub.disconnect(me.name)
    response = web.json_response({"logged_out": True})
    response.del_cookie(COOKIE, path="/desk")
    return response


@routes.get("/desk/api/me")
async def me(request: web.Request) -> web.Response:
    return web.json_response({"name": agent(request).name, "display_name": agent(request).display_name})


# -- queue and conversations -----------------------------------------------------------------


@routes.get("/desk/api/queue")
async def queue(request: web.Request) -> web.Response:
    desk = service(request)
    return web.json_response(
        {
            "tickets": await desk.store.queue(),
            "mine": await desk.store.held_by(agent(request).name),
            "agents_online": desk.hub.agents_online(),
        }
    )


@routes.get("/desk/api/tickets/{ticket_id}")
async def get_ticket(request: web.Request) -> web.Response:
    number = ticket_id(request)
    ticket = await service(request).store.ticket(number)
    ticket["audit"] = await service(request).store.audit_trail(number)
    return web.json_response(ticket)


@routes.get("/desk/api/tickets/{ticket_id}/orders")
async def customer_orders(request: web.Request) -> web.Response:
    return web.json_response(await service(request).customer_orders(ticket_id(request)))


@routes.post("/desk/api/tickets/{ticket_id}/take")
async def take(request: web.Request) -> web.Response:
    me = agent(request)
    return web.json_response(await service(request).take(ticket_id(request), me.name, me.display_name))


@routes.post("/desk/api/tickets/{ticket_id}/messages")
async def reply(request: web.Request) -> web.Response:
    me, body = agent(request), await text_body(request, "text")
    message = await service(request).reply(ticket_id(request), me.name, me.display_name, body["text"])
    return web.json_response(message, status=201)


@routes.post("/desk/api/tickets/{ticket_id}/notes")
async def note(request: web.Request) -> web.Response:
    body = await text_body(request, "text")
    return web.json_response(
        await service(request).note(ticket_id(request), agent(request).display_name, body["text"]), status=201
    )


@routes.post("/desk/api/tickets/{ticket_id}/close")
async def close(request: web.Request) -> web.Response:
    me = agent(request)
    return web.json_response(await service(request).close(ticket_id(request), me.name, me.display_name))


@routes.post("/desk/api/messages/{message_id}/retry")
async def retry(request: web.Request) -> web.Response:
    return web.json_response(await service(request).retry(ticket_id(request, "message_id")))


# -- live updates ----------------------------------------------------------------------------


@routes.get("/desk/ws")
async def websocket(request: web.Request) -> web.WebSocketResponse:
    """Pushes hub events; also accepts {"type": "reply", "ticket_id", "text", "ref"} and answers with
    {"type": "reply_result", "ref", "message"} or {"type": "error", "ref", "error"}."""
    me, desk = agent(request), service(request)
    socket = web.WebSocketResponse(heartbeat=25.0, max_msg_size=64 * 1024)
    await socket.prepare(request)
    desk.hub.add(me.name, socket)
    watcher = asyncio.create_task(_watch_session(desk, me, socket))
    try:
        await socket.send_json({"type": "hello", "agent": me.name, "agents_online": desk.hub.agents_online()})
        await desk.hub.publish({"type": "agents", "agents_online": desk.hub.agents_online()})
        async for frame in socket:
            if frame.type != WSMsgType.TEXT:
                continue
            # The cookie was checked once, at the upgrade: a disabled agent or a changed password
            # (both bump session_version, possibly from another process) must end the socket too.
            if not await _session_current(desk, me):
                await _end_socket(socket, me)
                break
            await socket.send_json(await _socket_command(desk, me, frame.data))
    finally:
        watcher.cancel()
        desk.hub.remove(me.name, socket)
        await desk.hub.publish({"type": "agents", "agents_online": desk.hub.agents_online()})
    return socket


async def _session_current(desk: HandoffService, me: Agent) -> bool:
    """The agent is still active and their sessions were not ended since this socket opened."""
    found = await desk.store.agent(me.name)
    return found is not None and found.active and found.session_version == me.session_version


async def _end_socket(socket: web.WebSocketResponse, me: Agent) -> None:
    logger.warning("closing the desk socket of %s: the agent was disabled or their sessions ended", me.name)
    await socket.close(code=SESSION_ENDED, message=b"session ended")


async def _watch_session(desk: HandoffService, me: Agent, socket: web.WebSocketResponse) -> None:
    """Also checks while the agent is silent, so a disabled agent stops receiving shopper messages."""
    while not socket.closed:
        await asyncio.sleep(SESSION_CHECK_S)
        try:
            current = await _session_current(desk, me)
        except Exception:  # the database is briefly away: keep the socket, check again next round
            logger.warning("could not re-check the session of %s", me.name, exc_info=True)
            continue
        if not current:
            await _end_socket(socket, me)


async def _socket_command(desk: HandoffService, me: Agent, raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {"type": "error", "error": {"code": "malformed_json", "message": "Send JSON objects."}}
    if not isinstance(data, dict):
        return {"type": "error", "error": {"code": "invalid_request", "message": "Send JSON objects."}}
    ref = data.get("ref")
    if data.get("type") == "ping":
        return {"type": "pong", "ref": ref}
    if data.get("type") != "reply":
        return {"type": "error", "ref": ref, "error": {"code": "invalid_request", "message": "Unknown command."}}
    text, number = data.get("text"), data.get("ticket_id")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT or not isinstance(number, int):
        needed = f"A reply needs ticket_id (a number) and text (1-{MAX_TEXT} characters)."
        return {"type": "error", "ref": ref, "error": {"code": "invalid_request", "message": needed}}
    try:
        message = await desk.reply(number, me.name, me.display_name, text.strip())
    except DomainError as error:
        return {"type": "error", "ref": ref, "error": {"code": error.code, "message": error.message}}
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("reply over the desk socket failed")
        return {"type": "error", "ref": ref, "error": {"code": "internal_error", "message": "Something went wrong."}}
    return {"type": "reply_result", "ref": ref, "message": message}
