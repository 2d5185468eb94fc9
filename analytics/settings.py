"""What analytics reads and how: the stores' URLs and the ANALYTICS_* variables (read with the
settings kit, so a wrong value stops the command or the desk with a line naming the variable).

No DuckDB here: the desk imports this at start and loads the warehouse when a lead first opens the
analytics page."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from backends.pricing import db as pricing_db
from backends.recommendations import db as recommendations_db
from handoff import config as handoff_config
from privacy.tracker_store import tracker_db_url
from settings_kit.settings import ServiceSettings

Grain = Literal["day", "week"]
GRAINS: tuple[Grain, ...] = ("day", "week")


@dataclass(frozen=True)
class StoreUrls:
    """The databases analytics reads, with the URLs and defaults the services use (docs/architecture.md)."""

    tracker: str
    handoff: str
    pricing: str
    recommendations: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StoreUrls:
        return cls(
            tracker=tracker_db_url(env),
            handoff=env.get("HANDOFF_DB_URL") or handoff_config.default_db_url(env),
            pricing=env.get("PRICING_DB_URL") or pricing_db.default_db_url(env),
            recommendations=env.get("RECS_DB_URL") or recommendations_db.default_db_url(env),
        )


class AnalyticsSettings(ServiceSettings):
    """ANALYTICS_DAYS (how far back), ANALYTICS_EMBEDDING (how unanswered messages are grouped:
    minilm groups better, tfidf needs no model; docs/analytics.md), ANALYTICS_REFRESH_S (how old the
    desk page's figures may get before the stores are read again)."""

    days: int = Field(default=28, ge=1, le=3660, validation_alias="ANALYTICS_DAYS")
    embedding: Literal["tfidf", "minilm"] = Field(default="minilm", validation_alias="ANALYTICS_EMBEDDING")
    refresh_s: float = Field(default=300.0, ge=0, validation_alias="ANALYTICS_REFRESH_S")
