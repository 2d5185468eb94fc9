"""The voice gateway's channel (channels.voice_input) in a real Rasa app, over real HTTP (Rasa venv).

Same set-up as test_app_channel.py: Rasa's own Sanic app with the channel registered as ``rasa run``
does, and a stub agent that records each ``UserMessage`` and answers "echo: <text>".
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import pytest
import rasa.core.run
from rasa.shared.exceptions import RasaException

from channels.voice_input import VoiceInput
from tests.rasa.test_app_channel import REPO, serve

TOKEN = "voice-gateway-token-" + "y" * 40
WEBHOOK = "/webhooks/voice/webhook"


def voice_channel(**credentials: Any) -> VoiceInput:
    return VoiceInput.from_credentials({"token": TOKEN, **credentials})  # type: ignore[return-value]


async def post(
    base: str, body: Any = None, *, bearer: str | None = TOKEN, raw: bytes | None = None, request_id: str = ""
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if request_id:
        headers["X-Request-ID"] = request_id
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    async with aiohttp.ClientSession() as http:
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        async with http.post(base + WEBHOOK, headers=headers, **kwargs) as resp:
            return resp.status, await resp.json(content_type=None)


async def test_gateway_turn_reaches_rasa_as_a_voice_conversation_with_its_metadata() -> None:
    async with serve(voice_channel()) as (base, agent):
        body = {
            "sender": "CA42",
            "message": "where is my order",
            "metadata": {"caller": "+15550100", "asr_confidence": 0.91, "customer_id": "forged", "app_jwt": "x"},
        }
        status, replies = await post(base, body, request_id="turn-7f3a")
    assert status == 200, replies
    assert replies == [{"recipient_id": "voice-CA42", "text": "echo: where is my order"}]
    (message,) = agent.messages
    assert message.sender_id == "voice-CA42"
    assert message.input_channel == "voice"
    # Caller data is kept; identity claims are only the app channel's to make. The gateway's
    # X-Request-ID is stored with the message, so the action server logs the same id.
    assert message.metadata == {"caller": "+15550100", "asr_confidence": 0.91, "request_id": "turn-7f3a"}


async def test_streamed_replies_come_one_json_object_per_line() -> None:
    async with (
        serve(voice_channel()) as (base, _),
        aiohttp.ClientSession() as http,
        http.post(
            f"{base}{WEBHOOK}?stream=true",
            json={"sender": "CA7", "message": "hello"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as resp,
    ):
        assert resp.status == 200
        lines = [line for line in (await resp.text()).splitlines() if line.strip()]
    assert [json.loads(line) for line in lines] == [{"recipient_id": "voice-CA7", "text": "echo: hello"}]


@pytest.mark.parametrize(
    ("bearer", "reason"),
    [(None, "missing Authorization"), ("wrong-token", "not valid"), ("", "Authorization")],
)
async def test_requests_without_the_gateway_token_are_refused(bearer: str | None, reason: str) -> None:
    async with serve(voice_channel()) as (base, agent):
        status, body = await post(base, {"sender": "CA1", "message": "hi"}, bearer=bearer)
    assert status == 401
    assert body["error"] == "unauthorized" and reason in body["message"]
    assert agent.messages == []


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        (b"not json", 400, "valid JSON"),
        (b"[]", 400, "JSON object"),
        (b'{"message": "hi"}', 400, "'sender'"),
        (b'{"sender": "CA1", "message": 5}', 400, "'message'"),
        (b'{"sender": "CA1", "message": "hi", "metadata": ["x"]}', 400, "'metadata'"),
    ],
)
async def test_bad_bodies_get_a_clear_refusal(raw: bytes, status: int, reason: str) -> None:
    async with serve(voice_channel()) as (base, agent):
        got, body = await post(base, raw=raw)
    assert got == status and reason in body["message"]
    assert agent.messages == []


async def test_empty_transcript_is_answered_without_reaching_the_agent() -> None:
    async with serve(voice_channel()) as (base, agent):
        status, replies = await post(base, {"sender": "CA1", "message": "  "})
    assert status == 200 and len(replies) == 1 and replies[0]["text"]
    assert agent.messages == []


def test_from_credentials_refuses_a_missing_or_unexpanded_token() -> None:
    with pytest.raises(RasaException, match="token"):
        VoiceInput.from_credentials({})
    with pytest.raises(RasaException, match="unquoted"):
        VoiceInput.from_credentials({"token": "${VOICE_GATEWAY_TOKEN}"})
    channel = voice_channel(max_message_chars=7)
    assert channel.name() == "voice" and channel.url_prefix() == "voice" and channel.max_message_chars == 7


def test_project_credentials_file_registers_the_voice_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = REPO / "bot" / "credentials.yml"
    for name in set(re.findall(r"\$\{(\w+)\}", credentials.read_text())):  # other channels' secrets too
        monkeypatch.setenv(name, "x" * 40)
    monkeypatch.setenv("VOICE_GATEWAY_TOKEN", TOKEN)
    channels = rasa.core.run.create_http_input_channels(None, str(credentials))
    (voice,) = [channel for channel in channels if channel.name() == "voice"]
    assert isinstance(voice, VoiceInput) and voice.token == TOKEN  # ${VOICE_GATEWAY_TOKEN} was expanded


async def test_agent_messages_are_only_for_the_gateway() -> None:
    async with serve(voice_channel()) as (base, _), aiohttp.ClientSession() as http:
        url = f"{base}/webhooks/voice/messages"
        async with http.get(url, params={"sender": "voice-CA1"}) as resp:
            assert resp.status == 401
        async with http.get(url, params={"sender": "voice-CA1"}, headers={"Authorization": "Bearer nope"}) as resp:
            assert resp.status == 401
        async with http.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            assert resp.status == 400  # past the token check: the REST route wants a sender


async def test_the_gateway_polls_only_calls() -> None:
    """Polling is for the channel's own conversations: even the gateway gets no other channel's replies."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with serve(voice_channel()) as (base, _), aiohttp.ClientSession() as http:
        for other in ("app-0123456789abcdef0123", "rest-" + "0" * 32 + "." + "0" * 32, "web-" + "1" * 32):
            async with http.get(f"{base}/webhooks/voice/messages", params={"sender": other}, headers=headers) as resp:
                assert resp.status == 403, other
                assert "call" in (await resp.json())["message"]
