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
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field
from pydantic_settings import SettingsConfigDict

from settings_kit.settings import ServiceSettings

Url = Annotated[str, AfterValidator(lambda url: url.rstrip("/"))]


class VoiceSettings(ServiceSettings):
    """The variables above, each within its range (a value outside stops the gateway at start-up)."""

    model_config = SettingsConfigDict(str_strip_whitespace=True)

    token: str = Field(
        min_length=1,
        validation_alias="VOICE_GATEWAY_TOKEN",
        description="the launcher writes one into var/secrets.env",
    )
    host: str = Field("127.0.0.1", validation_alias="VOICE_HOST")
    port: int = Field(8107, ge=1, le=65535, validation_alias="VOICE_PORT")
    rasa_url: Url = Field("http://127.0.0.1:5005", validation_alias="VOICE_RASA_URL")
    rasa_timeout_s: float = Field(10.0, ge=0.5, le=120, validation_alias="VOICE_RASA_TIMEOUT_S")
    workers: int = Field(2, ge=1, le=16, validation_alias="VOICE_WORKERS")
    max_calls: int = Field(4, ge=1, le=100, validation_alias="VOICE_MAX_CALLS")
    max_browser_calls: int = Field(2, ge=0, le=100, validation_alias="VOICE_MAX_BROWSER_CALLS")
    max_calls_per_address: int = Field(2, ge=1, le=100, validation_alias="VOICE_MAX_CALLS_PER_ADDRESS")
    ticket_ttl_s: float = Field(60.0, ge=5, le=600, validation_alias="VOICE_TICKET_TTL_S")
    max_call_s: float = Field(900.0, ge=0, le=14400, validation_alias="VOICE_MAX_CALL_S")
    audio_burst_s: float = Field(2.0, ge=0.2, le=30, validation_alias="VOICE_AUDIO_BURST_S")
    audio_speed: float = Field(1.0, ge=1, le=20, validation_alias="VOICE_AUDIO_SPEED")
    audio_flood_s: float = Field(5.0, ge=0.2, le=300, validation_alias="VOICE_AUDIO_FLOOD_S")
    max_pending_turns: int = Field(3, ge=1, le=20, validation_alias="VOICE_MAX_PENDING_TURNS")
    end_silence_ms: int = Field(400, ge=100, le=5000, validation_alias="VOICE_END_SILENCE_MS")
    speculate_ms: int = Field(150, ge=0, le=5000, validation_alias="VOICE_SPECULATE_MS")
    vad_threshold: float = Field(0.4, ge=0.05, le=0.95, validation_alias="VOICE_VAD_THRESHOLD")
    min_speech_ms: int = Field(150, ge=32, le=2000, validation_alias="VOICE_MIN_SPEECH_MS")
    confirm_below: float = Field(0.45, ge=0, le=1, validation_alias="VOICE_CONFIRM_BELOW")
    dtmf_timeout_ms: int = Field(3000, ge=200, le=60000, validation_alias="VOICE_DTMF_TIMEOUT_MS")
    no_input_s: float = Field(10.0, ge=0, le=600, validation_alias="VOICE_NO_INPUT_S")
    max_utterance_s: float = Field(30.0, ge=1, le=120, validation_alias="VOICE_MAX_UTTERANCE_S")
    agent_poll_s: float = Field(2.0, ge=0, le=60, validation_alias="VOICE_AGENT_POLL_S")
    greeting: bool = Field(True, validation_alias="VOICE_GREETING")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, prefix: str = "", defaults: Mapping[str, Any] | None = None
    ) -> Self:
        """VOICE_RASA_URL defaults to Rasa on this machine at RASA_PORT."""
        env = os.environ if env is None else env
        rasa_url = f"http://127.0.0.1:{env.get('RASA_PORT', '5005')}"
        return super().from_env(env, prefix=prefix, defaults={"rasa_url": rasa_url, **(defaults or {})})
