"""Configuration from the environment (RECS_*), with defaults that suit the demo shop."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from backends.recommendations.ab import DEFAULT_VARIANTS, Variant
from backends.recommendations.capping import CapConfig


def default_model_path(env: Mapping[str, str]) -> Path:
    return Path(env.get("ASSISTANT_VAR", "var")) / "recommendations-model.pkl"


def default_snapshot_path(env: Mapping[str, str]) -> Path:
    return Path(env.get("ASSISTANT_VAR", "var")) / "recommendations-items.json"


@dataclass(frozen=True)
class Settings:
    experiment: str = "recs-1"
    variants: tuple[Variant, ...] = DEFAULT_VARIANTS
    caps: CapConfig = field(default_factory=CapConfig)
    attribution_window: timedelta = timedelta(days=7)
    history_limit: int = 500  # newest interactions folded into the profile per request
    model_path: Path | None = None  # None: train in memory at startup, never write a file
    items_snapshot: Path | None = None  # last catalogue read from the graph; None: keep none
    graph_timeout_s: float = 30.0  # per /catalogue page, and for the first read when there is a snapshot
    graph_startup_wait_s: float = 90.0  # without a snapshot: keep trying this long before starting item-less
    graph_page_size: int = 500
    items_refresh_s: float = 300.0  # re-read the graph this often (0: only on POST /items/refresh)
    items_retry_s: float = 15.0  # first retry after a failed read, doubling up to items_refresh_s
    model_poll_s: float = 10.0  # look for a model file newer than the one loaded (0: only POST /admin/reload)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """RECS_VARIANTS is JSON: [{"name": "a", "weights": {"item_cf": 1}, "share": 0.5}, ...]."""
        env = os.environ if env is None else env
        variants = DEFAULT_VARIANTS
        if env.get("RECS_VARIANTS"):
            variants = tuple(
                Variant(v["name"], dict(v["weights"]), float(v.get("share", 1.0)))
                for v in json.loads(env["RECS_VARIANTS"])
            )
        caps = CapConfig(
            item_max=int(env.get("RECS_CAP_ITEM_MAX", "3")),
            item_window=timedelta(hours=float(env.get("RECS_CAP_ITEM_WINDOW_HOURS", "24"))),
            lists_max=int(env.get("RECS_CAP_LISTS_MAX", "5")),
            lists_window=timedelta(minutes=float(env.get("RECS_CAP_LISTS_WINDOW_MINUTES", "60"))),
        )
        return cls(
            experiment=env.get("RECS_EXPERIMENT", "recs-1"),
            variants=variants,
            caps=caps,
            attribution_window=timedelta(days=float(env.get("RECS_ATTRIBUTION_DAYS", "7"))),
            model_path=Path(env["RECS_MODEL_PATH"]) if env.get("RECS_MODEL_PATH") else default_model_path(env),
            items_snapshot=Path(env.get("RECS_ITEMS_SNAPSHOT") or default_snapshot_path(env)),
            graph_timeout_s=float(env.get("RECS_GRAPH_TIMEOUT_S", "30")),
            graph_page_size=int(env.get("RECS_GRAPH_PAGE_SIZE", "500")),
            graph_startup_wait_s=float(env.get("RECS_GRAPH_STARTUP_WAIT_S", "90")),
            items_refresh_s=float(env.get("RECS_ITEMS_REFRESH_S", "300")),
            items_retry_s=float(env.get("RECS_ITEMS_RETRY_S", "15")),
            model_poll_s=float(env.get("RECS_MODEL_POLL_S", "10")),
        )
