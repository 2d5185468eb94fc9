"""The whole assistant with its voice gateway, and real speech engines to play the caller.

The stack is the e2e one (tests/e2e/conftest.py: the launcher, a temporary state directory) on its
own ports (offset 700), so this folder can run alone or next to tests/e2e. The caller's utterances
are synthesised by Piper and by espeak-ng; replies are recognised back to text with Whisper.

VOICE_E2E_VAR=<state dir> reuses a stack already started with the same ports (development only).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from speech.audio import SAMPLE_RATE, resample
from speech.recognition import Recognizer, load_recognizer
from speech.synthesis import Synthesizer, load_synthesizer
from tests.e2e.conftest import Stack, stack_env, start_stack
from tools.phone_client import trim_silence

VOICE_STACK_OFFSET = 700
# Short enough to test the "are you still there?" prompt, long enough for any turn on a slow machine.
NO_INPUT_S = "6"
# The test caller's clock runs up to 4x real time, and its event loop stops while the listener
# recognises a reply (the backlog of silence then goes out at once): the pace is widened for this
# stack. The default pace (real time, 2 s of burst) is tested in test_voice_limits.py.
AUDIO_PACE = {"VOICE_AUDIO_SPEED": "6", "VOICE_AUDIO_BURST_S": "30"}


def read_secrets(var: Path) -> dict[str, str]:
    lines = (var / "secrets.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


@pytest.fixture(scope="session")
def voice_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    existing = os.environ.get("VOICE_E2E_VAR")
    if existing:
        var = Path(existing)
        stack = Stack(var=var, env=stack_env(var, VOICE_STACK_OFFSET), secrets=read_secrets(var))
        stack.env.update(stack.secrets)
        stack.demo_orders = json.loads((var / "demo-orders.json").read_text()).get("statuses", {})
        yield stack
        return
    var = tmp_path_factory.mktemp("voice-stack")
    stack = start_stack(var, stack_env(var, VOICE_STACK_OFFSET, VOICE_NO_INPUT_S=NO_INPUT_S, **AUDIO_PACE))
    yield stack
    stack.launcher("stop")


def voice_url(stack: Stack) -> str:
    return f"ws://127.0.0.1:{stack.env['VOICE_PORT']}/voice/stream"


def health_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.env['VOICE_PORT']}/health"


@pytest.fixture(scope="session")
def piper() -> Synthesizer:
    return load_synthesizer("piper")


@pytest.fixture(scope="session")
def espeak() -> Synthesizer:
    return load_synthesizer("espeak")


@pytest.fixture(scope="session")
def listener() -> Recognizer:
    """Recognises the gateway's replies (a second model instance, in the test process)."""
    return load_recognizer("tiny.en")


def utterance(synthesizer: Synthesizer, text: str) -> tuple[np.ndarray, int]:
    """The caller's words as 16 kHz samples with no silence around them."""
    speech = synthesizer.synthesize(text)
    return trim_silence(resample(speech.pcm, speech.sample_rate, SAMPLE_RATE), SAMPLE_RATE), SAMPLE_RATE


def words(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def user_events(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    return [event for event in tracker["events"] if event["event"] == "user"]
