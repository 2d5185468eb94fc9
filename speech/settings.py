"""Speech configuration from environment variables, with defaults that work on a 2-core machine.

SPEECH_ASR_MODEL     tiny.en | base (default base: fewer dropped digits in order numbers, see docs/speech.md)
SPEECH_PROMPT        catalogue | none | path of a Shopify-style product CSV: recognition prompt with the
                     shop's product names and colours (default catalogue = knowledge_graph/demo/catalogue.csv)
SPEECH_TTS_ENGINE    piper | espeak (default piper; espeak-ng is used when Piper fails to load)
SPEECH_TTS_VOICE     Piper: path to another .onnx voice; espeak: voice name (default en-us)
SPEECH_THREADS       CPU threads per model (default 1)
SPEECH_BEAM_SIZE     Whisper beam size (default 1 = greedy, the cheapest)
SPEECH_COMPUTE_TYPE  float32 | int8 | int8_float32: CTranslate2 weights (default float32: int8 is 1.3-1.4x
                     faster with the same benchmark WER, but lost words of fixed test sentences on this
                     AMD CPU; docs/speech.md)
SPEECH_CHUNK_S       seconds a short utterance is padded to for Whisper's encoder (default 15; 30 = Whisper's
                     own window, 3-5x slower; below 15 Whisper starts repeating itself). Longer utterances
                     are padded to their own length, so nothing is cut.
SPEECH_PARTIAL_MS    new speech between two partial transcripts while streaming (default 1000)
SPEECH_MIN_SILENCE_MS silence that ends an utterance (default 600)
ASSISTANT_VAR        state directory; the joined Whisper base model goes to $ASSISTANT_VAR/models/whisper-base
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ASR_MODELS = ("tiny.en", "base")
TTS_ENGINES = ("piper", "espeak")
COMPUTE_TYPES = ("float32", "int8", "int8_float32")  # what CTranslate2 4.8 offers on this CPU (no int16)
DEFAULT_COMPUTE_TYPE = "float32"
DEFAULT_CHUNK_S, MIN_CHUNK_S = 15, 5
REPO = Path(__file__).resolve().parent.parent


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip() or default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def var_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("ASSISTANT_VAR") or REPO / "var")


@dataclass(frozen=True)
class SpeechSettings:
    asr_model: str = "base"
    prompt: str = "catalogue"
    tts_engine: str = "piper"
    tts_voice: str | None = None
    threads: int = 1
    beam_size: int = 1
    compute_type: str = DEFAULT_COMPUTE_TYPE
    chunk_s: int = DEFAULT_CHUNK_S
    partial_ms: int = 1000
    min_silence_ms: int = 600

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SpeechSettings:
        env = os.environ if env is None else env
        return cls(
            asr_model=_choice(env, "SPEECH_ASR_MODEL", cls.asr_model, ASR_MODELS),
            prompt=env.get("SPEECH_PROMPT", "").strip() or cls.prompt,
            tts_engine=_choice(env, "SPEECH_TTS_ENGINE", cls.tts_engine, TTS_ENGINES),
            tts_voice=env.get("SPEECH_TTS_VOICE", "").strip() or None,
            threads=_int(env, "SPEECH_THREADS", cls.threads, 1, 16),
            beam_size=_int(env, "SPEECH_BEAM_SIZE", cls.beam_size, 1, 10),
            compute_type=_choice(env, "SPEECH_COMPUTE_TYPE", cls.compute_type, COMPUTE_TYPES),
            chunk_s=_int(env, "SPEECH_CHUNK_S", cls.chunk_s, MIN_CHUNK_S, 30),
            partial_ms=_int(env, "SPEECH_PARTIAL_MS", cls.partial_ms, 200, 10000),
            min_silence_ms=_int(env, "SPEECH_MIN_SILENCE_MS", cls.min_silence_ms, 100, 5000),
        )
