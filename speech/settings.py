"""Speech configuration from environment variables, with defaults that work on a 2-core machine.

SPEECH_ASR_MODEL     tiny.en | base (default base: fewer dropped digits in order numbers, see docs/speech.md)
SPEECH_PROMPT        catalogue | none | path of a Shopify-style product CSV: recognition prompt with the
                     shop's product names and colours (default catalogue = catalogue_files/demo/catalogue.csv)
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

from collections.abc import Mapping
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from settings_kit.settings import ServiceSettings

AsrModel = Literal["tiny.en", "base"]
TtsEngine = Literal["piper", "espeak"]
ComputeType = Literal["float32", "int8", "int8_float32"]  # what CTranslate2 4.8 offers on this CPU (no int16)
ASR_MODELS: tuple[str, ...] = get_args(AsrModel)
TTS_ENGINES: tuple[str, ...] = get_args(TtsEngine)
COMPUTE_TYPES: tuple[str, ...] = get_args(ComputeType)
DEFAULT_COMPUTE_TYPE: ComputeType = "float32"
DEFAULT_CHUNK_S, MIN_CHUNK_S = 15, 5
REPO = Path(__file__).resolve().parent.parent


class _StateDir(ServiceSettings):
    path: Path = Field(default=REPO / "var", validation_alias="ASSISTANT_VAR")


def var_dir(env: Mapping[str, str] | None = None) -> Path:
    return _StateDir.from_env(env).path


class SpeechSettings(ServiceSettings):
    """The SPEECH_* variables above; built with keywords they are plain values (tests, benchmarks)."""

    model_config = SettingsConfigDict(str_strip_whitespace=True)

    asr_model: AsrModel = Field(default="base", validation_alias="SPEECH_ASR_MODEL")
    prompt: str = Field(default="catalogue", validation_alias="SPEECH_PROMPT")
    tts_engine: TtsEngine = Field(default="piper", validation_alias="SPEECH_TTS_ENGINE")
    tts_voice: str | None = Field(default=None, validation_alias="SPEECH_TTS_VOICE")
    threads: int = Field(default=1, ge=1, le=16, validation_alias="SPEECH_THREADS")
    beam_size: int = Field(default=1, ge=1, le=10, validation_alias="SPEECH_BEAM_SIZE")
    compute_type: ComputeType = Field(default=DEFAULT_COMPUTE_TYPE, validation_alias="SPEECH_COMPUTE_TYPE")
    chunk_s: int = Field(default=DEFAULT_CHUNK_S, ge=MIN_CHUNK_S, le=30, validation_alias="SPEECH_CHUNK_S")
    partial_ms: int = Field(default=1000, ge=200, le=10000, validation_alias="SPEECH_PARTIAL_MS")
    min_silence_ms: int = Field(default=600, ge=100, le=5000, validation_alias="SPEECH_MIN_SILENCE_MS")
