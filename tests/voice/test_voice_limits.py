"""The voice gateway's limits, against the real gateway process with real speech (docs/voice.md, Limits).

One gateway (``python -m channels.voice``, Whisper and Piper loaded) with the default pacing and
a short maximum call length. Rasa is replaced by a small server that answers the voice channel's
requests after a delay (a slow backend, as in a fault test): it records what the gateway sent, so the
tests see that a turn arrived without reading the gateway's log, and a slow answer makes the
caller's turns pile up. The caller speaks in real time (the default pace refuses anything faster).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import psutil
import pytest
from aiohttp import web

from speech.recognition import Recognizer
from speech.synthesis import Synthesizer
from tests.voice.conftest import utterance, words
from tools.phone_client import PhoneCall

REPO = Path(__file__).resolve().parents[2]
MAX_CALL_S = 15
RASA_DELAY_S = 6.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SlowRasa:
    """Rasa's voice channel as the gateway sees it (``?stream=true``, one JSON message a line), slow."""

    port: int = field(default_factory=free_port)
    received: list[str] = field(default_factory=list)

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.received.append(body["message"])
        await asyncio.sleep(RASA_DELAY_S)
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        await response.write(json.dumps({"text": "Your order has shipped."}).encode() + b"\n")
        await response.write_eof()
        return response

    def serve(self) -> Iterator[SlowRasa]:
        loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_post("/webhooks/voice/webhook", self.webhook)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        yield self
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@dataclass
class Gateway:
    port: int
    token: str
    process: subprocess.Popen
    log: Path

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/voice/stream"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.http}/health", timeout=5) as response:
            return json.load(response)["calls"]


@pytest.fixture(scope="module")
def rasa() -> Iterator[SlowRasa]:
    yield from SlowRasa().serve()


@pytest.fixture(scope="module")
def gateway(rasa: SlowRasa, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    port, token = free_port(), secrets.token_urlsafe(32)
    log = tmp_path_factory.mktemp("gateway") / "voice.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_")}
    env.update(
        PYTHONPATH=str(REPO),
        VOICE_GATEWAY_TOKEN=token,
        VOICE_PORT=str(port),
        VOICE_HOST="127.0.0.1",
        VOICE_RASA_URL=f"http://127.0.0.1:{rasa.port}",
        VOICE_MAX_CALLS="3",
        VOICE_MAX_CALL_S=str(MAX_CALL_S),
        VOICE_MAX_PENDING_TURNS="1",
        VOICE_NO_INPUT_S="0",
        VOICE_AGENT_POLL_S="0",
    )
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "channels.voice"], env=env, cwd=REPO, stdout=out, stderr=out)
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the gateway did not start:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.5)
    yield Gateway(port, token, process, log)
    process.terminate()
    process.wait(timeout=20)


async def wait_until(predicate: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def idle(gateway: Gateway) -> None:
    """Calls of earlier tests may still be finishing (their Rasa turn is slow on purpose)."""
    await wait_until(lambda: gateway.calls()["active"] == 0, timeout_s=30)


async def new_ticket(gateway: Gateway, http: aiohttp.ClientSession) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{gateway.http}/voice/ticket") as response:
        return response.status, await response.json()


async def open_stream(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    """(101, socket) or (HTTP status, the JSON refusal)."""
    try:
        return 101, await http.ws_connect(url)
    except aiohttp.WSServerHandshakeError as error:
        async with http.get(url.replace("ws:", "http:")) as response:  # the same refusal, read as JSON
            return error.status, await response.json()


# --------------------------------------------------------------------------- tickets and lines


async def test_a_browser_ticket_starts_one_call_only(gateway: Gateway, piper: Synthesizer) -> None:
    async with aiohttp.ClientSession() as http:
        status, issued = await new_ticket(gateway, http)
        assert status == 200
        call = await PhoneCall(f"{gateway.stream_url}?ticket={issued['ticket']}", token=None).connect()
        await call.wait_reply(0.0, timeout_s=30)  # the greeting: the call is up
        await call.close()
        status, refusal = await open_stream(http, f"{gateway.stream_url}?ticket={issued['ticket']}")
    assert status == 401 and "used already" in refusal["message"], refusal


async def test_over_limit_calls_are_refused_with_a_clear_message(gateway: Gateway) -> None:
    await idle(gateway)
    async with aiohttp.ClientSession() as http:
        open_calls = []
        try:
            for _ in range(2):  # two browser calls from this address: the default per-address limit
                _, issued = await new_ticket(gateway, http)
                open_calls.append(await PhoneCall(f"{gateway.stream_url}?ticket={issued['ticket']}").connect())
            status, refusal = await new_ticket(gateway, http)
            assert status == 503 and "lines for browser calls are busy" in refusal["message"], refusal
            # Twilio's way (token in the start message): counted for its address until authenticated.
            status, refusal = await open_stream(http, gateway.stream_url)
            assert status == 429 and "at most 2 calls at a time from one address" in refusal["message"], refusal
            # The provider with the token in the URL is not limited per address, only in total (3).
            open_calls.append(await PhoneCall(gateway.stream_url, token=gateway.token).connect())
            status, refusal = await open_stream(http, f"{gateway.stream_url}?token={gateway.token}")
            assert status == 503 and "all 3 lines are busy" in refusal["message"], refusal
        finally:
            await asyncio.gather(*(call.close() for call in open_calls))
    await idle(gateway)
    async with aiohttp.ClientSession() as http:
        assert (await new_ticket(gateway, http))[0] == 200, "lines are given back when calls end"


# --------------------------------------------------------------------------- audio pace, queue, length


async def test_audio_flooded_faster_than_real_time_is_cut_off_cheaply(gateway: Gateway, piper: Synthesizer) -> None:
    pcm, rate = utterance(piper, "Where is my order? I would like to know where my order is.")
    speech = np.tile(pcm, int(np.ceil(60 * rate / pcm.size)))  # a minute of real speech
    before, cpu = gateway.calls(), psutil.Process(gateway.process.pid).cpu_times()
    call = await PhoneCall(gateway.stream_url, token=gateway.token).connect()
    try:
        await asyncio.sleep(0.5)  # the line is up
        started = time.monotonic()
        for frame in call.frames_for(speech, rate):  # no pause between frames: a script, not a phone
            media = {"track": "inbound", "payload": base64.b64encode(frame).decode()}
            try:
                await call.send({"event": "media", "media": media})
            except ConnectionError:
                break
        await wait_until(lambda: call.closed is not None, timeout_s=10)
        elapsed = time.monotonic() - started
    finally:
        await call.close()
    used = psutil.Process(gateway.process.pid).cpu_times()
    after = gateway.calls()
    assert call.closed[0] == 1008 and "faster than real time" in call.closed[1], call.closed
    assert elapsed < 5, f"the flood ran for {elapsed:.1f} s"
    assert after["floods"] == before["floods"] + 1 and after["frames_throttled"] > before["frames_throttled"]
    cpu_s = (used.user + used.system) - (cpu.user + cpu.system)
    assert cpu_s < 2.0, f"the gateway spent {cpu_s:.1f} s of CPU on a minute of flooded audio"


async def test_a_full_turn_queue_drops_the_oldest_turn_and_tells_the_caller(
    gateway: Gateway, rasa: SlowRasa, piper: Synthesizer, listener: Recognizer
) -> None:
    await idle(gateway)  # the flooded call's last words reach Rasa when it ends
    before = gateway.calls()
    call = await PhoneCall(gateway.stream_url, token=gateway.token).connect()
    try:
        received = len(rasa.received)
        # Rasa takes 6 s per turn: the first turn is being answered, one more may wait (VOICE_MAX_PENDING_TURNS=1).
        for text in ("Where is my order?", "Do you sell jackets?", "Thank you."):
            pcm, rate = utterance(piper, text)
            await call.say(pcm, rate, trailing_silence_s=0.8)
        since = time.monotonic()
        await wait_until(lambda: len(rasa.received) >= received + 2, timeout_s=15)
        notice = await call.wait_reply(since, timeout_s=15)
    finally:
        await call.close()
    sent = [words(text) for text in rasa.received[received:]]
    assert len(sent) == 2 and "order" in sent[0] and "thank" in sent[1], sent
    assert gateway.calls()["turns_dropped"] == before["turns_dropped"] + 1
    heard = words(listener.transcribe(notice.pcm16k(call.audio_format)).text)
    assert "keep up" in heard or "say it again" in heard, heard


async def test_a_call_longer_than_the_limit_is_ended_with_a_goodbye(gateway: Gateway, listener: Recognizer) -> None:
    before = gateway.calls()
    call = await PhoneCall(gateway.stream_url, token=gateway.token).connect()
    try:
        greeting = await call.wait_reply(0.0, timeout_s=30)
        await wait_until(lambda: call.closed is not None, timeout_s=MAX_CALL_S + 20)
        goodbye = call.reply_since(greeting.frames[-1].at + 0.1)
    finally:
        await call.close()
    assert call.closed == (1000, "time_limit"), call.closed
    assert "time limit" in words(listener.transcribe(goodbye.pcm16k(call.audio_format)).text)
    assert gateway.calls()["time_limited"] == before["time_limited"] + 1


# --------------------------------------------------------------------------- logs


async def test_what_the_caller_said_is_not_in_the_gateway_log_at_info(
    gateway: Gateway, rasa: SlowRasa, piper: Synthesizer
) -> None:
    await idle(gateway)
    call = await PhoneCall(gateway.stream_url, token=gateway.token, caller="+15550123456").connect()
    try:
        await call.wait_reply(0.0, timeout_s=30)
        received = len(rasa.received)
        pcm, rate = utterance(piper, "My neighbour Priscilla ordered purple umbrellas.")
        await call.say(pcm, rate, trailing_silence_s=0.8)
        await wait_until(lambda: len(rasa.received) > received, timeout_s=15)
    finally:
        await call.close()
    heard = rasa.received[received]
    assert "umbrella" in words(heard), heard  # the gateway heard it and sent it to Rasa...
    log = gateway.log.read_text().lower()
    assert f"call {call.call_sid.lower()}" in log  # ...and logged the call at INFO...
    for word in ("umbrella", "priscilla", "neighbour", "neighbor", "purple", "15550123456"):
        assert word not in log, f"{word!r} is in the gateway's log"  # ...but not what was said, nor the number
