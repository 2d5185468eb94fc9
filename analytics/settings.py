"""ANALYTICS_* variables, read with the settings kit so a wrong value stops the command or the desk
with a line naming the variable."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from settings_kit.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    """ANALYTICS_DAYS (how far back), ANALYTICS_EMBEDDING (how unanswered messages are grouped:
    minilm groups better, tfidf needs no model; docs/analytics.md), ANALYTICS_REFRESH_S (how old the
    desk page's figures may get before the stores are read again)."""

    days: int = Field(default=28, ge=1, le=3660, validation_alias="ANALYTICS_DAYS")
    embedding: Literal["tfidf", "minilm"] = Field(default="minilm", validation_alias="ANALYTICS_EMBEDDING")
    refresh_s: float = Field(default=300.0, ge=0, validation_alias="ANALYTICS_REFRESH_S")
