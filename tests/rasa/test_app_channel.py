"""The app channel (channels.app_rest) and the socket.io fix (channels.webchat) in a real Rasa app.

Runs in the Rasa venv. Each test builds Rasa's own Sanic app (``rasa.core.run.configure_app``
without the HTTP API), registers the channel the way ``rasa run`` does, serves it on a free port
and talks to it over real HTTP / socket.io. The agent is a stub that records each ``UserMessage``
and answers "echo: <text>": these tests are about the channels' logic, not about a model.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
import rasa.core.run
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import RasaException
from rasa_sdk import Tracker as SdkTracker
from sanic import Sanic

from actions.identity import app_customer_id
from channels.app_rest import AppRestInput
from channels.conversation_ids import ConversationIds
from channels.handoff_relay import HandoffRelayInput
from channels.webchat import WebchatInput
from contracts.identity import TokenPolicy

REPO = Path(__file__).resolve().parents[2]
SECRET = "test-secret-" + "x" * 40
ID_SECRET = "conversation-ids-" + "i" * 40
REST_IDS = ConversationIds(ID_SECRET, channel="rest", prefix="rest-")
WEBHOOK = "/webhooks/app/webhook"

Sanic.test_mode = True  # several apps with Rasa's app name in one process


class RecordingAgent:
    """Stands in for rasa's Agent: records messages and replies through the output channel."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def serve(*channels: Any, agent: Any = None) -> AsyncIterator[tuple[str, Any]]:
    """Rasa's app with these input channels, listening on 127.0.0.1; the agent records by default."""
    app = rasa.core.run.configure_app(list(channels), cors="*", enable_api=False, use_uvloop=False)
    agent = agent or RecordingAgent()
    app.ctx.agent = agent
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}", agent
    finally:
        for channel in channels:
            if getattr(channel, "sio", None) is not None:
                await channel.sio.shutdown()  # ends engine.io's ping tasks before the loop closes
        await server.before_stop()
        await server.close()
        await server.after_stop()
        # engine.io schedules each ping as a bare 25 s sleep; end them with the test's loop.
        for task in asyncio.all_tasks():
            if getattr(task.get_coro(), "__qualname__", "") == "AsyncSocket._send_ping":
                task.cancel()


def token(sub: Any = "cust-1", *, ttl: int = 600, secret: str = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    payload: dict[str, Any] = {"exp": int(time.time()) + ttl, **claims}
    if sub is not None:
        payload["sub"] = sub
    return jwt.encode(payload, secret, algorithm=algorithm)


def expected_sender(customer_id: str, key: str = SECRET) -> str:
    return "app-" + hmac.new(key.encode(), customer_id.encode(), hashlib.sha256).hexdigest()[:20]


def app_channel(**kwargs: Any) -> AppRestInput:
    return AppRestInput.from_credentials({"jwt_secret": SECRET, **kwargs})  # type: ignore[return-value]


async def post(
    base: str, body: Any = None, *, bearer: str | None = None, raw: bytes | None = None, path: str = WEBHOOK
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    async with aiohttp.ClientSession() as http:
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        async with http.post(base + path, headers=headers, **kwargs) as resp:
            text = await resp.text()
            try:
                return resp.status, await resp.json(content_type=None)
            except ValueError:
                return resp.status, text


# --------------------------------------------------------------------------- happy path


async def test_valid_token_gets_the_reply_and_forwards_only_the_verified_customer_id() -> None:
    jwt_ = token("cust-42")
    async with serve(app_channel()) as (base, agent):
        status, body = await post(base, {"message": "where is my order?"}, bearer=jwt_)
    assert status == 200
    assert body == [{"recipient_id": expected_sender("cust-42"), "text": "echo: where is my order?"}]
    [message] = agent.messages
    assert message.sender_id == expected_sender("cust-42")
    assert message.input_channel == "app"
    # Never the token: metadata is stored. The channel adds the message's request id (none was sent: a new one).
    assert message.metadata == {"customer_id": "cust-42", "request_id": message.metadata["request_id"]}
    assert re.fullmatch(r"[0-9a-f]{32}", message.metadata["request_id"])


async def test_body_cannot_choose_sender_channel_or_identity_metadata() -> None:
    jwt_ = token("cust-1")
    body = {
        "message": "hi",
        "sender": "someone-else",
        "input_channel": "rest",
        "metadata": {"customer_id": "cust-2", "app_jwt": "forged", "locale": "en-GB"},
    }
    async with serve(app_channel()) as (base, agent):
        status, _ = await post(base, body, bearer=jwt_)
    assert status == 200
    [message] = agent.messages
    assert message.sender_id == expected_sender("cust-1")
    assert message.input_channel == "app"
    assert message.metadata == {
        "locale": "en-GB",
        "customer_id": "cust-1",
        "request_id": message.metadata["request_id"],
    }


async def test_sender_id_is_stable_per_customer_and_distinct_between_customers() -> None:
    async with serve(app_channel()) as (base, agent):
        for sub, ttl in (("cust-1", 600), ("cust-1", 900), ("cust-2", 600)):
            status, _ = await post(base, {"message": "hi"}, bearer=token(sub, ttl=ttl))
            assert status == 200
    first, again, other = (m.sender_id for m in agent.messages)
    assert first == again == expected_sender("cust-1")
    assert other == expected_sender("cust-2") != first
    assert first.startswith("app-") and len(first) == 24 and "cust" not in first


async def test_sender_id_key_can_differ_from_the_jwt_secret() -> None:
    async with serve(app_channel(sender_id_key="another-key")) as (base, agent):
        await post(base, {"message": "hi"}, bearer=token("cust-1"))
    assert agent.messages[0].sender_id == expected_sender("cust-1", key="another-key")


async def test_streaming_replies_still_work() -> None:
    async with (
        serve(app_channel()) as (base, agent),
        aiohttp.ClientSession() as http,
        http.post(
            f"{base}{WEBHOOK}?stream=true",
            json={"message": "hi"},
            headers={"Authorization": f"Bearer {token()}"},
        ) as resp,
    ):
        assert resp.status == 200
        text = await resp.text()
    assert '"text": "echo: hi"' in text
    assert agent.messages[0].sender_id == expected_sender("cust-1")


async def test_health_route() -> None:
    async with (
        serve(app_channel()) as (base, _),
        aiohttp.ClientSession() as http,
        http.get(base + "/webhooks/app/") as resp,
    ):
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


# --------------------------------------------------------------------------- refused tokens


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing Authorization header"),
        ("Basic dXNlcjpwdw==", "must be 'Bearer <JWT>'"),
        ("Bearer ", "must be 'Bearer <JWT>'"),
        ("Bearer not-a-jwt", "token is invalid"),
        (f"Bearer {token(ttl=-120)}", "expired"),
        (f"Bearer {token(secret='another-secret-' + 'y' * 40)}", "signature is invalid"),
        (f"Bearer {token(algorithm='HS512')}", "HS256"),
        (f"Bearer {jwt.encode({'sub': 'cust-1'}, SECRET, algorithm='HS256')}", "'exp'"),
        (f"Bearer {token(sub=None)}", "'sub'"),
        (f"Bearer {token(sub='')}", "customer id"),
        (f"Bearer {jwt.encode({'sub': 'c', 'exp': time.time() + 60}, None, algorithm='none')}", "HS256"),
    ],
)
async def test_bad_tokens_are_refused_with_401(
    authorization: str | None, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    caplog.set_level(logging.WARNING, logger="channels.app_rest")
    async with (
        serve(app_channel()) as (base, agent),
        aiohttp.ClientSession() as http,
        http.post(base + WEBHOOK, json={"message": "hi"}, headers=headers) as resp,
    ):
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        body = await resp.json()
    assert body["error"] == "unauthorized"
    assert reason in body["message"]
    assert agent.messages == []
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert "401" in refusals[0].getMessage()
    if authorization and authorization.startswith("Bearer ") and len(authorization) > 20:
        assert authorization[7:] not in refusals[0].getMessage()  # tokens are never logged


async def test_issuer_and_audience_are_checked_when_configured() -> None:
    channel = app_channel(jwt_issuer="https://shop.example", jwt_audience="assistant")
    good = token(iss="https://shop.example", aud="assistant")
    async with serve(channel) as (base, agent):
        assert (await post(base, {"message": "hi"}, bearer=good))[0] == 200
        status, body = await post(base, {"message": "hi"}, bearer=token(iss="https://evil.example", aud="assistant"))
        assert (status, body["message"]) == (401, "token has the wrong issuer")
        status, body = await post(base, {"message": "hi"}, bearer=token(iss="https://shop.example", aud="other"))
        assert (status, body["message"]) == (401, "token has the wrong audience")
        status, body = await post(base, {"message": "hi"}, bearer=token())
        assert status == 401 and "'iss'" in body["message"]
    assert len(agent.messages) == 1


async def test_audience_is_ignored_when_not_configured() -> None:
    async with serve(app_channel()) as (base, agent):
        status, _ = await post(base, {"message": "hi"}, bearer=token(aud="some-app"))
    assert status == 200 and len(agent.messages) == 1


async def test_with_an_audience_configured_the_actions_still_recognise_the_customer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One verifier, one policy: the channel checks iss/aud, the actions use the id it verified.

    The message goes through the real channel, into a real Rasa tracker, and is serialised the way
    Rasa sends it to the action server; the action server's identity check then reads it.
    (Before, the action server verified the raw token again without the audience: every
    logged-in shopper became anonymous as soon as an audience was configured.)"""
    monkeypatch.setenv("APP_JWT_SECRET", SECRET)
    channel = app_channel(jwt_issuer="https://shop.example", jwt_audience="assistant")
    jwt_ = token("cust-7", iss="https://shop.example", aud="assistant")
    async with serve(channel) as (base, agent):
        status, _ = await post(base, {"message": "where is my order?"}, bearer=jwt_)
    assert status == 200
    [message] = agent.messages
    tracker = DialogueStateTracker(message.sender_id, slots=[])
    tracker.update(UserUttered(message.text, input_channel=message.input_channel, metadata=message.metadata))
    state = tracker.current_state(EventVerbosity.ALL)  # what RemoteAction sends
    assert app_customer_id(SdkTracker.from_dict(state)) == "cust-7"
    assert jwt_ not in json.dumps(state)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        (b'{"message": ', 400, "valid JSON"),
        (b"\xff\xfe", 400, "valid JSON"),
        (b"", 400, "valid JSON"),
        (b'["hi"]', 400, "JSON object"),
        (b"{}", 400, "'message'"),
        (b'{"message": 42}', 400, "'message'"),
        (b'{"message": "   "}', 400, "'message'"),
        (b'{"message": "hi", "metadata": [1]}', 400, "'metadata'"),
        (('{"message": "' + "a" * 5001 + '"}').encode(), 400, "limit is 5000"),
        (('{"message": "hi", "metadata": {"x": "' + "a" * 70000 + '"}}').encode(), 413, "65536 bytes"),
    ],
)
async def test_bad_input_is_refused_with_a_clear_message(raw: bytes, status: int, reason: str) -> None:
    async with serve(app_channel()) as (base, agent):
        got_status, body = await post(base, raw=raw, bearer=token())
    assert got_status == status
    assert reason in body["message"]
    assert agent.messages == []


async def test_message_limit_is_inclusive_and_configurable() -> None:
    async with serve(app_channel()) as (base, agent):
        assert (await post(base, {"message": "a" * 5000}, bearer=token()))[0] == 200
    async with serve(app_channel(max_message_chars=10)) as (base, agent):
        assert (await post(base, {"message": "a" * 10}, bearer=token()))[0] == 200
        status, body = await post(base, {"message": "a" * 11}, bearer=token())
        assert status == 400 and "limit is 10" in body["message"]
    assert len(agent.messages) == 1


async def test_token_is_checked_before_the_body() -> None:
    async with serve(app_channel()) as (base, _):
        status, body = await post(base, raw=b"not json")
    assert status == 401 and body["error"] == "unauthorized"


# --------------------------------------------------------------------------- configuration


def test_from_credentials_refuses_a_missing_or_unexpanded_secret() -> None:
    with pytest.raises(RasaException, match="jwt_secret"):
        AppRestInput.from_credentials({})
    with pytest.raises(RasaException, match="unquoted"):
        AppRestInput.from_credentials({"jwt_secret": "${APP_JWT_SECRET}"})


def test_from_credentials_reads_the_options() -> None:
    channel = AppRestInput.from_credentials(
        {"jwt_secret": SECRET, "jwt_issuer": "i", "jwt_audience": "a", "jwt_leeway_seconds": 5, "max_message_chars": 9}
    )
    assert isinstance(channel, AppRestInput) and isinstance(channel, RestInput)
    assert channel.policy == TokenPolicy(secret=SECRET, issuer="i", audience="a", leeway_seconds=5)
    assert channel.max_message_chars == 9
    assert channel.name() == "app" and channel.url_prefix() == "app"


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("APP_JWT_SECRET", SECRET)
    for name in ("VOICE_GATEWAY_TOKEN", "HANDOFF_RELAY_TOKEN", "HANDOFF_API_TOKEN", "CONVERSATION_ID_SECRET"):
        monkeypatch.setenv(name, name.lower() + "-" + "x" * 40)
    monkeypatch.setenv("HANDOFF_URL", "http://127.0.0.1:8106")
    monkeypatch.setenv("WEBCHAT_REDIS_URL", "")  # one worker: the launcher sets it empty
    yield SECRET


def test_project_credentials_file_loads_every_channel(secret_env: str) -> None:
    channels = rasa.core.run.create_http_input_channels(None, str(REPO / "bot" / "credentials.yml"))
    by_name = {channel.name(): channel for channel in channels}
    assert set(by_name) == {"rest", "socketio", "app", "voice", "handoff"}
    assert isinstance(by_name["app"], AppRestInput)
    assert by_name["app"].policy.secret == secret_env  # ${APP_JWT_SECRET} was expanded
    webchat = by_name["socketio"]
    assert isinstance(webchat, WebchatInput)
    assert (webchat.user_message_evt, webchat.bot_message_evt) == ("user_uttered", "bot_uttered")
    assert webchat.session_persistence is True
    id_secret = "conversation_id_secret-" + "x" * 40
    assert webchat.ids.key == id_secret and by_name["rest"].ids.key == id_secret  # type: ignore[attr-defined]
    relay = by_name["handoff"]
    assert isinstance(relay, HandoffRelayInput)
    assert relay.relay_token == "handoff_relay_token-" + "x" * 40 and relay.desk_url == "http://127.0.0.1:8106"


# --------------------------------------------------------------------------- socket.io (channels.webchat)


class SocketClient:
    """A minimal socket.io v5 / engine.io v4 client over one websocket, as socket.io-client 3 speaks.

    python-socketio 5.18's own client needs aiohttp >= 3.10 for websockets, the Rasa venv has 3.9.
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def emit(self, event: str, data: Any) -> None:
        await self.ws.send_str("42" + json.dumps([event, data]))

    async def receive(self, timeout: float = 10) -> tuple[str, Any]:
        """The next socket.io event as (name, data), answering engine.io pings on the way."""
        while True:
            frame = await asyncio.wait_for(self.ws.receive_str(), timeout)
            if frame == "2":  # engine.io ping
                await self.ws.send_str("3")
            elif frame.startswith("42"):
                name, *args = json.loads(frame[2:])
                return name, args[0] if args else None


@asynccontextmanager
async def socket_client(base: str) -> AsyncIterator[SocketClient]:
    url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        opening = await asyncio.wait_for(ws.receive_str(), 10)
        assert opening.startswith("0{"), opening  # engine.io OPEN with sid, pingInterval...
        await ws.send_str("40")  # socket.io CONNECT to the default namespace
        connected = await asyncio.wait_for(ws.receive_str(), 10)
        assert connected.startswith("40"), connected
        yield SocketClient(ws)


def webchat_ids(key: str) -> ConversationIds:
    return ConversationIds(key, channel="socketio", prefix="web-")


def webchat_channel() -> WebchatInput:
    return WebchatInput.from_credentials(  # type: ignore[return-value]
        {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
            "id_secret": ID_SECRET,
        }
    )


async def test_webchat_replies_reach_a_persistent_session() -> None:
    """Rasa 3.6's own channel loses these replies with python-socketio >= 5.10 (enter_room)."""
    async with serve(webchat_channel()) as (base, agent), socket_client(base) as client:
        await client.emit("session_request", {"session_id": None})
        kind, session_id = await client.receive()
        assert kind == "session_confirm" and session_id.startswith("web-")
        await client.emit("user_uttered", {"message": "hi", "session_id": session_id})
        assert await client.receive() == ("bot_uttered", {"text": "echo: hi"})
    assert agent.messages[0].sender_id == session_id
    assert agent.messages[0].input_channel == "socketio"


async def test_webchat_resumes_an_issued_session_but_not_a_chosen_one() -> None:
    async with serve(webchat_channel()) as (base, agent):
        async with socket_client(base) as client:
            await client.emit("session_request", {"session_id": None})
            _, issued = await client.receive()
        async with socket_client(base) as client:
            await client.emit("session_request", {"session_id": issued})
            assert await client.receive() == ("session_confirm", issued)
            chosen = [
                "app-0123456789abcdef0123",
                "voice-CA0123",
                "0123456789abcdef0123456789abcdef",  # the unsigned form session ids had before
                REST_IDS.issue(),  # a REST conversation's id
                "web-" + "0" * 32 + "." + "0" * 32,  # the form of a session id, not signed by the server
                webchat_ids(ID_SECRET + "-other").issue(),  # signed with another key
            ]
            for offered in chosen:
                await client.emit("session_request", {"session_id": offered})
                _, fresh = await client.receive()
                assert fresh != offered and fresh.startswith("web-") and fresh != issued, offered
                await client.emit("user_uttered", {"message": "sneaky", "session_id": offered})
            await asyncio.sleep(0.5)
    assert agent.messages == []


async def test_a_socket_writes_only_into_the_session_confirmed_on_it() -> None:
    """Rasa's handler took the conversation id from each message: any socket could write anywhere."""
    async with serve(webchat_channel()) as (base, agent), socket_client(base) as victim:
        await victim.emit("session_request", {"session_id": None})
        _, victims_session = await victim.receive()
        async with socket_client(base) as intruder:
            await intruder.emit("user_uttered", {"message": "without a session", "session_id": victims_session})
            await intruder.emit("session_request", {"session_id": None})
            _, own_session = await intruder.receive()
            await intruder.emit("user_uttered", {"message": "into another session", "session_id": victims_session})
            await intruder.emit("user_uttered", {"message": "mine", "session_id": own_session})
            assert await intruder.receive() == ("bot_uttered", {"text": "echo: mine"})
    assert [(m.sender_id, m.text) for m in agent.messages] == [(own_session, "mine")]


def test_webchat_needs_its_id_secret_configured() -> None:
    for credentials in ({}, {"id_secret": "${CONVERSATION_ID_SECRET}"}):
        with pytest.raises(RasaException, match="CONVERSATION_ID_SECRET"):
            WebchatInput.from_credentials(credentials)


async def test_webchat_custom_json_is_sent_as_the_event_payload() -> None:
    channel = webchat_channel()
    async with serve(channel) as (base, _), socket_client(base) as client:
        await client.emit("session_request", {"session_id": None})
        _, session_id = await client.receive()
        output = channel.get_output_channel()
        assert output is not None
        await output.send_custom_json(session_id, {"handoff": True, "queue": "returns"})
        assert await client.receive() == ("bot_uttered", {"handoff": True, "queue": "returns"})
