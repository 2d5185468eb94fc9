"""Configuration from the environment (RECS_*), with defaults that suit the demo shop."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from backends.recommendations.ab import DEFAULT_VARIANTS, Variant
from backends.recommendations.capping import CapConfig
from settings_kit.settings import ServiceSettings, counted_in


def default_model_path(env: Mapping[str, str]) -> Path:
    return Path(env.get("ASSISTANT_VAR", "var")) / "recommendations-model.pkl"


def default_snapshot_path(env: Mapping[str, str]) -> Path:
    return Path(env.get("ASSISTANT_VAR", "var")) / "recommendations-items.json"


class Settings(ServiceSettings):
    """From RECS_* (and ASSISTANT_VAR). The frequency caps are read in `from_env`: four variables, one rule."""

    model_config = SettingsConfigDict(arbitrary_types_allowed=True)

    experiment: str = Field(default="recs-1", validation_alias="RECS_EXPERIMENT")
    # RECS_VARIANTS is JSON: [{"name": "a", "weights": {"item_cf": 1}, "share": 0.5}, ...].
    variants: tuple[Variant, ...] = Field(default=DEFAULT_VARIANTS, validation_alias="RECS_VARIANTS")
    caps: CapConfig = Field(default_factory=CapConfig)
    attribution_window: Annotated[timedelta, counted_in(timedelta(days=1))] = Field(
        default=timedelta(days=7), validation_alias="RECS_ATTRIBUTION_DAYS"
    )
    history_limit: int = 500  # newest interactions folded into the profile per request
    model_path: Path | None = Field(
        default=None, validation_alias="RECS_MODEL_PATH"
    )  # None: train in memory at startup
    # Last catalogue read from the graph; None: keep none.
    items_snapshot: Path | None = Field(default=None, validation_alias="RECS_ITEMS_SNAPSHOT")
    # Per /catalogue page, and for the first read when there is a snapshot.
    graph_timeout_s: float = Field(default=30.0, gt=0, validation_alias="RECS_GRAPH_TIMEOUT_S")
    # Without a snapshot: keep trying this long before starting item-less.
    graph_startup_wait_s: float = Field(default=90.0, ge=0, validation_alias="RECS_GRAPH_STARTUP_WAIT_S")
    graph_page_size: int = Field(default=500, ge=1, validation_alias="RECS_GRAPH_PAGE_SIZE")
    # Re-read the graph this often (0: only on POST /items/refresh).
    items_refresh_s: float = Field(default=300.0, ge=0, validation_alias="RECS_ITEMS_REFRESH_S")
    # First retry after a failed read, doubling up to items_refresh_s.
    items_retry_s: float = Field(default=15.0, ge=0, validation_alias="RECS_ITEMS_RETRY_S")
    # Look for a model file newer than the one loaded (0: only POST /admin/reload).
    model_poll_s: float = Field(default=10.0, ge=0, validation_alias="RECS_MODEL_POLL_S")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, prefix: str = "", defaults: Mapping[str, Any] | None = None
    ) -> Self:
        env = os.environ if env is None else env
        caps = CapConfig(
            item_max=int(env.get("RECS_CAP_ITEM_MAX", "3")),
            item_window=timedelta(hours=float(env.get("RECS_CAP_ITEM_WINDOW_HOURS", "24"))),
            lists_max=int(env.get("RECS_CAP_LISTS_MAX", "5")),
            lists_window=timedelta(minutes=float(env.get("RECS_CAP_LISTS_WINDOW_MINUTES", "60"))),
        )
        composed = {
            "caps": caps,
            "model_path": default_model_path(env),
            "items_snapshot": default_snapshot_path(env),
        }
        return super().from_env(env, prefix=prefix, defaults={**composed, **(defaults or {})})
