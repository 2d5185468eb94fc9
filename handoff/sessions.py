"""Agent sessions: an HS256 JWT in an HttpOnly, SameSite=Strict cookie, plus a login throttle.

The token names the agent and their `session_version`; logging out or changing the password bumps
the version, so stolen or old cookies stop working. The cookie never works on /api/* (that needs the
service token) and the service token never works on /desk/* — the middleware in app.py checks both."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass

import jwt

COOKIE = "handoff_session"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class SessionClaims:
    agent: str
    version: int


class SessionCodec:
    def __init__(self, secret: str, lifetime_s: float) -> None:
        self._secret = secret
        self._lifetime_s = lifetime_s

    def issue(self, agent: str, version: int) -> str:
        now = int(time.time())
        claims = {"sub": agent, "ver": version, "iat": now, "exp": now + int(self._lifetime_s), "aud": "handoff-desk"}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def read(self, token: str) -> SessionClaims | None:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience="handoff-desk",
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError:
            return None
        version = claims.get("ver")
        if not isinstance(claims["sub"], str) or not isinstance(version, int):
            return None
        return SessionClaims(claims["sub"], version)


class LoginThrottle:
    """After `max_failures` bad logins for one name or from one address within the lockout window,
    further attempts are refused until the window has passed (in memory: a restart forgets)."""

    def __init__(self, max_failures: int, lockout_s: float) -> None:
        self._max = max_failures
        self._window = lockout_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def locked_for(self, *keys: str) -> float:
        """Seconds until the earliest lock among `keys` lifts (0 when none is locked)."""
        now = time.monotonic()
        wait = 0.0
        for key in keys:
            failures = self._failures.get(key)
            if not failures:
                continue
            while failures and failures[0] <= now - self._window:
                failures.popleft()
            if len(failures) >= self._max:
                wait = max(wait, failures[0] + self._window - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            self._failures[key].append(now)

    def succeeded(self, name_key: str) -> None:
        self._failures.pop(name_key, None)
