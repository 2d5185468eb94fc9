"""Settings from HANDOFF_* variables (safe defaults; the launcher fills in the secrets)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import NoDecode, SettingsConfigDict

from handoff.hours import AgentHours
from handoff.priority import PriorityRules
from settings_kit.settings import ServiceSettings

REPO = Path(__file__).resolve().parent.parent


def default_db_url(env: Mapping[str, str]) -> str:
    var = env.get("ASSISTANT_VAR") or str(REPO / "var")
    return f"sqlite+aiosqlite:///{Path(var) / 'handoff.sqlite'}"


def _floats(raw: str, name: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in raw.split(","))
    except ValueError:
        raise ValueError(f"{name} must be two comma-separated numbers, like 0.5,0.8 (got {raw!r})") from None
    if not 0 <= low <= high:
        raise ValueError(f"{name}: the first threshold must be between 0 and the second (got {raw!r})")
    return low, high


def _comma_list(value: Any) -> Any:
    return frozenset(part.strip() for part in value.split(",") if part.strip()) if isinstance(value, str) else value


def _no_trailing_slash(url: str) -> str:
    return url.rstrip("/")


class Settings(ServiceSettings):
    """From HANDOFF_* (and RASA_URL, ASSISTANT_VAR). Agent hours and priority thresholds are read by
    their own parsers in `from_env`: both are several variables into one rule."""

    model_config = SettingsConfigDict(arbitrary_types_allowed=True)

    api_token: str = Field(
        min_length=1,
        validation_alias="HANDOFF_API_TOKEN",
        description="the launcher writes one into var/secrets.env",
    )
    db_url: str = Field("sqlite+aiosqlite:///var/handoff.sqlite", validation_alias="HANDOFF_DB_URL")
    host: str = Field("127.0.0.1", validation_alias="HANDOFF_HOST")
    port: int = Field(8106, ge=1, le=65535, validation_alias="HANDOFF_PORT")
    rasa_url: Annotated[str, AfterValidator(_no_trailing_slash)] = Field(
        "http://127.0.0.1:5005", validation_alias="RASA_URL"
    )
    relay_token: str = Field("", validation_alias="HANDOFF_RELAY_TOKEN")
    relay_timeout_s: float = Field(3.0, gt=0, validation_alias="HANDOFF_RELAY_TIMEOUT_S")
    # Signs the agents' session cookies; a random one (sessions end on restart) when not configured.
    session_secret: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32), min_length=32, validation_alias="HANDOFF_SESSION_SECRET"
    )
    session_hours: float = Field(12.0, gt=0, validation_alias="HANDOFF_SESSION_HOURS")
    cookie_secure: bool = Field(False, validation_alias="HANDOFF_COOKIE_SECURE")
    admin_password: str = Field("", validation_alias="HANDOFF_ADMIN_PASSWORD")
    hours: AgentHours = Field(default_factory=lambda: AgentHours.parse("always"))
    priority: PriorityRules = Field(default_factory=PriorityRules)
    # The notice to the shopper when an agent takes over; unset: the catalogue's handoff.agent_joined
    # (bot/texts/<language>.yml), empty: no notice.
    join_text: str | None = Field(None, validation_alias="HANDOFF_JOIN_TEXT")
    poll_interval_s: float = Field(5.0, gt=0, validation_alias="HANDOFF_POLL_INTERVAL_S")
    retry_interval_s: float = Field(5.0, gt=0, validation_alias="HANDOFF_RETRY_INTERVAL_S")
    login_max_failures: int = Field(5, ge=1, validation_alias="HANDOFF_LOGIN_MAX_FAILURES")
    login_lockout_s: float = Field(300.0, ge=0, validation_alias="HANDOFF_LOGIN_LOCKOUT_S")
    # Reverse proxies whose X-Forwarded-For names the client (for the per-address login lockout).
    trusted_proxies: Annotated[frozenset[str], NoDecode, BeforeValidator(_comma_list)] = Field(
        frozenset(), validation_alias="HANDOFF_TRUSTED_PROXIES"
    )
    # Agents who may export or erase a shopper's data (the desk's privacy API, docs/privacy.md).
    privacy_agents: Annotated[frozenset[str], NoDecode, BeforeValidator(_comma_list)] = Field(
        frozenset({"admin"}), validation_alias="HANDOFF_PRIVACY_AGENTS"
    )
    # Agents who may see the analytics page (figures over every conversation, docs/analytics.md).
    lead_agents: Annotated[frozenset[str], NoDecode, BeforeValidator(_comma_list)] = Field(
        frozenset({"admin"}), validation_alias="HANDOFF_LEAD_AGENTS"
    )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, prefix: str = "", defaults: Mapping[str, Any] | None = None
    ) -> Self:
        env = os.environ if env is None else env
        hours = AgentHours.parse(
            env.get("HANDOFF_AGENT_HOURS", "mon-fri 09:00-17:00"), env.get("HANDOFF_TIMEZONE", "UTC")
        )
        priority = PriorityRules(
            frustration=_floats(env.get("HANDOFF_PRIORITY_FRUSTRATION", "0.5,0.8"), "HANDOFF_PRIORITY_FRUSTRATION"),
            order_value=_floats(env.get("HANDOFF_PRIORITY_ORDER_VALUE", "100,500"), "HANDOFF_PRIORITY_ORDER_VALUE"),
        )
        composed = {"db_url": default_db_url(env), "hours": hours, "priority": priority}
        return super().from_env(env, prefix=prefix, defaults={**composed, **(defaults or {})})
