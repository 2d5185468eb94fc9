"""The rating question on a real call: after help and a goodbye the caller hears "press a key from 1
to 5", presses 4 (a DTMF event through the real gateway) or says it, and the rating is in Rasa's
tracker store. Real gateway, Rasa, action server and speech engines (tests/voice/conftest.py)."""

from __future__ import annotations

import time

from speech.recognition import Recognizer
from speech.synthesis import Synthesizer
from tests.e2e.conftest import Stack
from tests.e2e.test_satisfaction_e2e import stored_ratings
from tests.voice.conftest import user_events, words
from tests.voice.test_voice_e2e import ask, dial, greeted, tracker


async def test_caller_presses_a_key_to_rate(voice_stack: Stack, piper: Synthesizer, listener: Recognizer) -> None:
    call = await dial(voice_stack)
    try:
        await greeted(call, listener)
        await ask(call, piper, "What payment methods do you accept?", listener)
        asked, _ = await ask(call, piper, "Thank you, goodbye.", listener)
        since = time.monotonic()
        await call.dtmf("4")  # one key, no '#': the gateway sends the button at once
        reply = await call.wait_reply(since, timeout_s=60, settle_s=1.5)
        thanked = words(listener.transcribe(reply.pcm16k(call.audio_format)).text)
    finally:
        await call.close()
    assert "press" in words(asked) and "rate" in words(asked), asked
    assert "thank" in thanked and "rating" in thanked, thanked
    pressed = user_events(await tracker(voice_stack, call))[-1]
    assert pressed["text"] == '/rate{"satisfaction": 4}' and pressed["metadata"]["input_mode"] == "dtmf"
    assert stored_ratings(voice_stack, f"voice-{call.call_sid}") == [4.0]


async def test_caller_says_the_rating(voice_stack: Stack, piper: Synthesizer, listener: Recognizer) -> None:
    call = await dial(voice_stack)
    try:
        await greeted(call, listener)
        await ask(call, piper, "What payment methods do you accept?", listener)
        await ask(call, piper, "Thank you, goodbye.", listener)
        thanked, _ = await ask(call, piper, "Five stars.", listener)
    finally:
        await call.close()
    assert "thank" in words(thanked) and "rating" in words(thanked), thanked
    assert stored_ratings(voice_stack, f"voice-{call.call_sid}") == [5.0]
