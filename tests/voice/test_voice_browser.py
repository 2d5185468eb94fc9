"""The browser page /voice/ in headless Chromium, with a WAV file as the microphone.

Chromium's fake capture device plays "Where is my order?" (Piper) followed by silence, in a loop;
the page streams it to the gateway in the same protocol as a phone and plays the replies. The
test checks the whole path: page → gateway (a turn recognised) → Rasa → reply audio at the page.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from speech.audio import SAMPLE_RATE, to_wav
from speech.synthesis import Synthesizer
from tests.e2e.conftest import Stack
from tests.voice.conftest import health_url, utterance

CHROMIUM = Path("/usr/bin/chromium")


def gateway_calls(stack: Stack) -> dict[str, int]:
    with urllib.request.urlopen(health_url(stack), timeout=5) as response:
        return json.load(response)["calls"]


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory, piper: Synthesizer) -> Path:
    pcm, _ = utterance(piper, "Where is my order?")
    silence = np.zeros(int(4 * SAMPLE_RATE), dtype=np.int16)
    path = tmp_path_factory.mktemp("mic") / "caller.wav"
    path.write_bytes(to_wav(np.concatenate([silence, pcm, silence]), SAMPLE_RATE))
    return path


@pytest.fixture(scope="module")
def browser(microphone: Path) -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()


def test_the_page_calls_the_assistant_with_the_microphone(voice_stack: Stack, browser: Browser) -> None:
    before = gateway_calls(voice_stack)
    context = browser.new_context(permissions=["microphone"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: errors.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    try:
        page.goto(f"http://127.0.0.1:{voice_stack.env['VOICE_PORT']}/voice/")
        page.locator("#call").click()
        expect(page.locator("#status")).to_contain_text("Assistant speaking", timeout=30_000)  # the greeting
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and gateway_calls(voice_stack)["turns"] == before["turns"]:
            page.wait_for_timeout(500)
        during = gateway_calls(voice_stack)
        page.locator("#call").click()  # hang up
        expect(page.locator("#status")).to_contain_text("Call ended", timeout=10_000)
    finally:
        context.close()
    assert errors == []
    assert during["total"] == before["total"] + 1 and during["active"] >= 1
    assert during["turns"] > before["turns"], "the gateway never heard the microphone's question"
    assert during["frames_in"] - before["frames_in"] > 100  # 20 ms frames streamed from the page
    assert during["bad_frames"] == before["bad_frames"]
