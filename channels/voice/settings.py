"""Voice gateway settings from ``VOICE_*`` environment variables (speech engines: ``SPEECH_*``, speech/settings.py).

VOICE_HOST / VOICE_PORT        where the gateway listens (127.0.0.1 / 8107)
VOICE_GATEWAY_TOKEN            required: telephony providers put it in the stream URL (``?token=``) or in
                               Twilio ``<Parameter name="token">``; the gateway sends it to Rasa's voice channel
VOICE_RASA_URL                 Rasa's base URL (default http://127.0.0.1:$RASA_PORT)
VOICE_RASA_TIMEOUT_S           one turn's budget at Rasa (10)
VOICE_WORKERS                  threads for recognition and synthesis, shared by all calls (2)
VOICE_MAX_CALLS                simultaneous calls; more are refused with 503 (4)
VOICE_MAX_BROWSER_CALLS        simultaneous calls from the /voice/ page, so browsers cannot take every line (2)
VOICE_MAX_CALLS_PER_ADDRESS    open streams per client address, browser or not yet authenticated (2); calls on
                               the gateway token are exempt (a provider's media servers carry many callers)
VOICE_TICKET_TTL_S             lifetime of a browser ticket; each ticket starts one call (60)
VOICE_MAX_CALL_S               longest call; then a spoken goodbye and the stream ends (900; 0 = no limit)
VOICE_AUDIO_BURST_S            caller audio that may arrive ahead of real time (network jitter) (2)
VOICE_AUDIO_SPEED              caller audio seconds accepted per wall-clock second (1.0; tests run callers faster)
VOICE_AUDIO_FLOOD_S            audio beyond the pace dropped before the stream is closed as a flood (5)
VOICE_MAX_PENDING_TURNS        turns waiting to be answered per call; when full the oldest waiting one is dropped
                               and the caller is asked to repeat it (3)
VOICE_END_SILENCE_MS           silence that ends the caller's turn (400; no test utterance splits at 350)
VOICE_VAD_THRESHOLD            speech probability (Silero) that counts as speech (0.4)
VOICE_MIN_SPEECH_MS            speech shorter than this is not a turn (150: "no" is about 250 ms)
VOICE_SPECULATE_MS             silence after which recognition starts early, before the turn surely ended (150)
VOICE_CONFIRM_BELOW            recognition confidence under which the gateway asks "did you say ...?" (0.45)
VOICE_DTMF_TIMEOUT_MS          pause that ends keypad input when no '#' comes (3000)
VOICE_NO_INPUT_S               silence after the reply before "are you still there?" (10; 0 = never)
VOICE_MAX_UTTERANCE_S          a longer turn is cut and answered (30)
VOICE_AGENT_POLL_S             how often to ask Rasa for a human agent's messages during a hand-off (2; 0 = never)
VOICE_GREETING                 1 = greet when the call starts (default), 0 = wait for the caller
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {raw}")
    return value


@dataclass(frozen=True)
class VoiceSettings:
    token: str
    host: str = "127.0.0.1"
    port: int = 8107
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = 10.0
    workers: int = 2
    max_calls: int = 4
    max_browser_calls: int = 2
    max_calls_per_address: int = 2
    ticket_ttl_s: float = 60.0
    max_call_s: float = 900.0
    audio_burst_s: float = 2.0
    audio_speed: float = 1.0
    audio_flood_s: float = 5.0
    max_pending_turns: int = 3
    end_silence_ms: int = 400
    speculate_ms: int = 150
    vad_threshold: float = 0.4
    min_speech_ms: int = 150
    confirm_below: float = 0.45
    dtmf_timeout_ms: int = 3000
    no_input_s: float = 10.0
    max_utterance_s: float = 30.0
    agent_poll_s: float = 2.0
    greeting: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> VoiceSettings:
        env = os.environ if env is None else env
        token = env.get("VOICE_GATEWAY_TOKEN", "").strip()
        if not token:
            raise ValueError("VOICE_GATEWAY_TOKEN is not set (the launcher writes one into var/secrets.env)")
        rasa_url = env.get("VOICE_RASA_URL", "").strip() or f"http://127.0.0.1:{env.get('RASA_PORT', '5005')}"
        return cls(
            token=token,
            host=env.get("VOICE_HOST", cls.host),
            port=int(_number(env, "VOICE_PORT", cls.port, 1, 65535)),
            rasa_url=rasa_url.rstrip("/"),
            rasa_timeout_s=_number(env, "VOICE_RASA_TIMEOUT_S", cls.rasa_timeout_s, 0.5, 120),
            workers=int(_number(env, "VOICE_WORKERS", cls.workers, 1, 16)),
            max_calls=int(_number(env, "VOICE_MAX_CALLS", cls.max_calls, 1, 100)),
            max_browser_calls=int(_number(env, "VOICE_MAX_BROWSER_CALLS", cls.max_browser_calls, 0, 100)),
            max_calls_per_address=int(_number(env, "VOICE_MAX_CALLS_PER_ADDRESS", cls.max_calls_per_address, 1, 100)),
            ticket_ttl_s=_number(env, "VOICE_TICKET_TTL_S", cls.ticket_ttl_s, 5, 600),
            max_call_s=_number(env, "VOICE_MAX_CALL_S", cls.max_call_s, 0, 4 * 3600),
            audio_burst_s=_number(env, "VOICE_AUDIO_BURST_S", cls.audio_burst_s, 0.2, 30),
            audio_speed=_number(env, "VOICE_AUDIO_SPEED", cls.audio_speed, 1, 20),
            audio_flood_s=_number(env, "VOICE_AUDIO_FLOOD_S", cls.audio_flood_s, 0.2, 300),
            max_pending_turns=int(_number(env, "VOICE_MAX_PENDING_TURNS", cls.max_pending_turns, 1, 20)),
            end_silence_ms=int(_number(env, "VOICE_END_SILENCE_MS", cls.end_silence_ms, 100, 5000)),
            speculate_ms=int(_number(env, "VOICE_SPECULATE_MS", cls.speculate_ms, 0, 5000)),
            vad_threshold=_number(env, "VOICE_VAD_THRESHOLD", cls.vad_threshold, 0.05, 0.95),
            min_speech_ms=int(_number(env, "VOICE_MIN_SPEECH_MS", cls.min_speech_ms, 32, 2000)),
            confirm_below=_number(env, "VOICE_CONFIRM_BELOW", cls.confirm_below, 0, 1),
            dtmf_timeout_ms=int(_number(env, "VOICE_DTMF_TIMEOUT_MS", cls.dtmf_timeout_ms, 200, 60000)),
            no_input_s=_number(env, "VOICE_NO_INPUT_S", cls.no_input_s, 0, 600),
            max_utterance_s=_number(env, "VOICE_MAX_UTTERANCE_S", cls.max_utterance_s, 1, 120),
            agent_poll_s=_number(env, "VOICE_AGENT_POLL_S", cls.agent_poll_s, 0, 60),
            greeting=env.get("VOICE_GREETING", "1").strip() not in ("0", "false", "no", "off"),
        )
