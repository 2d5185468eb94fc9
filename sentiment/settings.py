"""The sentiment service's variables and its model build's, read with the settings kit so a wrong value
stops the process with a line naming the variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from settings_kit.settings import ServiceSettings

REPO = Path(__file__).resolve().parent.parent


class SentimentSettings(ServiceSettings):
    """SENTIMENT_MODEL_DIR (default $ASSISTANT_VAR/models/sentiment), SENTIMENT_THREADS, SENTIMENT_BUILD_THREADS,
    SENTIMENT_ENGINE (which form of the model the service runs: sentiment/onnx_form.py)."""

    var_dir: Path = Field(default=REPO / "var", validation_alias="ASSISTANT_VAR")
    model_dir: Path | None = Field(default=None, validation_alias="SENTIMENT_MODEL_DIR")
    threads: int = Field(default=1, ge=1, le=16, validation_alias="SENTIMENT_THREADS")
    build_threads: int = Field(default=2, ge=1, le=16, validation_alias="SENTIMENT_BUILD_THREADS")
    engine: Literal["onnx", "onnx-int8", "torch"] = Field(default="onnx", validation_alias="SENTIMENT_ENGINE")

    @property
    def model_folder(self) -> Path:
        """Where setup builds the model and the service loads it."""
        return self.model_dir or self.var_dir / "models" / "sentiment"
