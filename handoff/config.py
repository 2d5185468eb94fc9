"""Settings from HANDOFF_* variables (safe defaults; the launcher fills in the secrets)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from handoff.hours import AgentHours
from handoff.priority import PriorityRules

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


@dataclass(frozen=True)
class Settings:
    api_token: str
    db_url: str = "sqlite+aiosqlite:///var/handoff.sqlite"
    host: str = "127.0.0.1"
    port: int = 8106
    rasa_url: str = "http://127.0.0.1:5005"
    relay_token: str = ""
    relay_timeout_s: float = 3.0
    # Signs the agents' session cookies; a random one (sessions end on restart) when not configured.
    session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    session_hours: float = 12.0
    cookie_secure: bool = False
    admin_password: str = ""
    hours: AgentHours = field(default_factory=lambda: AgentHours.parse("always"))
    priority: PriorityRules = field(default_factory=PriorityRules)
    join_text: str = "{agent} has joined the conversation."
    poll_interval_s: float = 5.0
    retry_interval_s: float = 5.0
    login_max_failures: int = 5
    login_lockout_s: float = 300.0
    # Reverse proxies whose X-Forwarded-For names the client (for the per-address login lockout).
    trusted_proxies: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        token = env.get("HANDOFF_API_TOKEN", "")
        if not token:
            raise ValueError("HANDOFF_API_TOKEN is not set (the launcher writes one into var/secrets.env)")
        hours = AgentHours.parse(
            env.get("HANDOFF_AGENT_HOURS", "mon-fri 09:00-17:00"), env.get("HANDOFF_TIMEZONE", "UTC")
        )
        priority = PriorityRules(
            frustration=_floats(env.get("HANDOFF_PRIORITY_FRUSTRATION", "0.5,0.8"), "HANDOFF_PRIORITY_FRUSTRATION"),
            order_value=_floats(env.get("HANDOFF_PRIORITY_ORDER_VALUE", "100,500"), "HANDOFF_PRIORITY_ORDER_VALUE"),
        )
        session_secret = env.get("HANDOFF_SESSION_SECRET", "")
        if session_secret and len(session_secret) < 32:
            raise ValueError("HANDOFF_SESSION_SECRET must have at least 32 characters")
        return cls(
            api_token=token,
            db_url=env.get("HANDOFF_DB_URL") or default_db_url(env),
            host=env.get("HANDOFF_HOST", "127.0.0.1"),
            port=int(env.get("HANDOFF_PORT", "8106")),
            rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            relay_token=env.get("HANDOFF_RELAY_TOKEN", ""),
            relay_timeout_s=float(env.get("HANDOFF_RELAY_TIMEOUT_S", "3")),
            session_secret=session_secret or secrets.token_urlsafe(32),
            session_hours=float(env.get("HANDOFF_SESSION_HOURS", "12")),
            cookie_secure=env.get("HANDOFF_COOKIE_SECURE", "0") == "1",
            admin_password=env.get("HANDOFF_ADMIN_PASSWORD", ""),
            hours=hours,
            priority=priority,
            join_text=env.get("HANDOFF_JOIN_TEXT", "{agent} has joined the conversation."),
            poll_interval_s=float(env.get("HANDOFF_POLL_INTERVAL_S", "5")),
            retry_interval_s=float(env.get("HANDOFF_RETRY_INTERVAL_S", "5")),
            login_max_failures=int(env.get("HANDOFF_LOGIN_MAX_FAILURES", "5")),
            login_lockout_s=float(env.get("HANDOFF_LOGIN_LOCKOUT_S", "300")),
            trusted_proxies=frozenset(
                part.strip() for part in env.get("HANDOFF_TRUSTED_PROXIES", "").split(",") if part.strip()
            ),
        )
