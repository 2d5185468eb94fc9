"""Payloads nobody wrote by hand, at every channel of the running stack: no 500s, no hangs.

hypothesis generates JSON values of any shape (and raw bytes) for the REST, app, voice and hand-off
relay webhooks and for the socket.io widget events, with and without the right credentials. Every
answer must come within the client's timeout, be below 500, and a refusal must say why (JSON with a
message). After each run, an ordinary conversation on the same channel still gets its answer: the
bad input broke nothing. Derandomized, so a failure repeats; the example counts keep the run short.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conversation import Conversation, new_rest_sender
from tests.e2e.socketio_client import texts, widget_client

ANSWER_WITHIN_S = 20.0  # a hang fails the test through the client's timeout
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=60)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)
TEXT = st.text(max_size=400) | st.sampled_from(["", " ", "\x00", "\u202e", "where is my order?", "a" * 6000])


def shaped_like(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Bodies that look like the real request (any subset of its fields, each of any type), or anything."""
    optional = {name: strategy | JSON for name, strategy in fields.items()}
    return st.fixed_dictionaries({}, optional=optional) | JSON


def post(url: str, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    if isinstance(body, bytes):
        headers = {"Content-Type": "application/json", **(headers or {})}
        return requests.post(url, data=body, headers=headers, timeout=ANSWER_WITHIN_S)
    return requests.post(url, json=body, headers=headers or {}, timeout=ANSWER_WITHIN_S)


def assert_answered(response: requests.Response, body: Any) -> None:
    assert response.status_code < 500, f"{response.status_code} for {body!r}: {response.text[:300]}"
    if response.status_code >= 400:
        refusal = response.json()
        assert isinstance(refusal, dict) and (refusal.get("message") or refusal.get("error")), refusal


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def app_token(stack: Any) -> str:
    claims = {"sub": "fuzz-customer", "iat": int(time.time()), "exp": int(time.time()) + 3600}
    return jwt.encode(claims, stack.secrets["APP_JWT_SECRET"], algorithm="HS256")


@pytest.fixture(scope="module")
def rest_sender(stack: Any) -> str:
    return new_rest_sender(stack.rasa_url)


def test_rest_webhook_answers_any_body(stack: Any, rest_sender: str) -> None:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    body = shaped_like({"sender": st.just(rest_sender), "message": TEXT, "metadata": JSON}) | st.binary(max_size=200)

    @FUZZ
    @given(body)
    def check(payload: Any) -> None:
        assert_answered(post(url, payload), payload)

    check()
    assert "order number" in Conversation(stack.rasa_url).say("where is my order?").lower()


def test_rest_session_and_polling_answer_any_input(stack: Any) -> None:
    session_url = f"{stack.rasa_url}/webhooks/rest/session"
    poll_url = f"{stack.rasa_url}/webhooks/rest/messages"

    @FUZZ
    @given(JSON | st.binary(max_size=100), st.text(max_size=80))
    def check(body: Any, sender: str) -> None:
        assert_answered(post(session_url, body), body)
        polled = requests.get(poll_url, params={"sender": sender}, timeout=ANSWER_WITHIN_S)
        assert_answered(polled, sender)

    check()


def test_app_webhook_answers_any_body_and_any_token(stack: Any) -> None:
    url = f"{stack.rasa_url}/webhooks/app/webhook"
    valid = app_token(stack)
    tokens = st.just(valid) | st.text(max_size=80) | st.just(valid[:-3] + "abc")

    @FUZZ
    @given(shaped_like({"message": TEXT, "metadata": JSON, "sender": JSON}), tokens)
    def check(payload: Any, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token.isascii() and token.isprintable() else {}
        assert_answered(post(url, payload, headers), payload)

    check()
    assert Conversation(stack.rasa_url, channel="app", token=valid).say("hello")


def test_voice_webhook_answers_any_body_from_the_gateway(stack: Any) -> None:
    url = f"{stack.rasa_url}/webhooks/voice/webhook"
    headers = bearer(stack.secrets["VOICE_GATEWAY_TOKEN"])
    senders = st.sampled_from(["fuzz-call-1", "fuzz-call-2"])

    @FUZZ
    @given(shaped_like({"sender": senders, "message": TEXT, "metadata": JSON}) | st.binary(max_size=200))
    def check(payload: Any) -> None:
        assert_answered(post(url, payload, headers), payload)

    check()
    voice = Conversation(stack.rasa_url, channel="voice", token=stack.secrets["VOICE_GATEWAY_TOKEN"], sender="fuzz-ok")
    assert voice.say("hello")


def test_handoff_relay_answers_any_body(stack: Any) -> None:
    base = f"{stack.rasa_url}/webhooks/handoff"
    headers = bearer(stack.secrets["HANDOFF_RELAY_TOKEN"])
    conversations = st.sampled_from(["fuzz-relay-1", "fuzz-relay-2"])
    fields = {"conversation_id": conversations, "text": TEXT, "agent_name": st.text(max_size=300)}

    @FUZZ
    @given(st.sampled_from(["agent_message", "release"]), shaped_like(fields) | st.binary(max_size=200))
    def check(route: str, payload: Any) -> None:
        assert_answered(post(f"{base}/{route}", payload, headers), payload)

    check()


async def test_socketio_widget_events_with_any_payload(stack: Any) -> None:
    """The widget's events carrying anything: the server neither drops the socket nor stops answering."""
    payloads = st.lists(
        shaped_like({"message": TEXT, "session_id": st.text(max_size=40), "customData": JSON}),
        min_size=25,
        max_size=25,
    )
    drawn: list[Any] = []  # one derandomized draw; sent over one socket, as one misbehaving widget would

    @settings(max_examples=1, deadline=None, derandomize=True, database=None)
    @given(payloads)
    def draw(values: list[Any]) -> None:
        drawn[:] = values

    draw()
    async with widget_client(stack.rasa_url) as client:
        await client.start_session()
        for payload in drawn:
            await client.sio.emit("user_uttered", payload)
            await client.sio.emit("session_request", payload)
        assert client.sio.connected, "the server dropped the widget's socket"
        # Each session_request confirmed a session, and a socket writes only into its latest one: ask
        # for the first session again and wait for exactly that confirmation (earlier ones may still come).
        first = client.session_id
        await client.sio.emit("session_request", {"session_id": first})
        while await asyncio.wait_for(client.confirmations.get(), 30) != first:
            pass
        while not client.replies.empty():
            client.replies.get_nowait()
        assert "order number" in texts(await client.say("where is my order?")).lower()
