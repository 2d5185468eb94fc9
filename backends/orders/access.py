"""Who may prove ownership of an order, and the one-time codes that authorise changes.

Ownership proofs (the order's email or ZIP) are counted here, not in the chat: every failure is a
row per order number and per client key, so a new conversation or `/restart` does not reset
anything. Too many failures in the window lock the order number (or the client) for a cool-down,
during which even the right proof is refused. Unknown order numbers are counted like real ones, so
the answers cannot tell them apart.

Changes (cancel, new address, return) asked for by a shopper proven only by email/ZIP need a
one-time code mailed to the order's address: 8 digits, short-lived, single use, a few tries, and
only an HMAC of it is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backends.orders.errors import CodeRejected, TooMany
from backends.orders.models import ChangeCode, ProofFailure, ProofLockout
from service_kit.db import rows_changed
from settings_kit.settings import Seconds, ServiceSettings

logger = logging.getLogger(__name__)

CODE_DIGITS = 8  # not 6 (order numbers) or 5 (ZIP codes), so the NLU never takes it for either
Key = tuple[str, str]  # (scope, key): ("order", "104532") or ("client", <hash>)


def _limit(default: int, variable: str) -> Any:
    return Field(default, ge=1, validation_alias=variable)


def _duration(default: timedelta, variable: str) -> Any:
    return Field(default, ge=timedelta(seconds=1), validation_alias=variable)


class AccessSettings(ServiceSettings):
    """From ORDERS_PROOF_* and ORDERS_CODE_* (durations in seconds); every limit is at least 1."""

    max_order_failures: int = _limit(5, "ORDERS_PROOF_MAX_FAILURES")
    max_client_failures: int = _limit(10, "ORDERS_PROOF_MAX_CLIENT_FAILURES")
    window: Seconds = _duration(timedelta(minutes=15), "ORDERS_PROOF_WINDOW_S")
    lockout: Seconds = _duration(timedelta(minutes=15), "ORDERS_PROOF_LOCKOUT_S")
    code_ttl: Seconds = _duration(timedelta(minutes=10), "ORDERS_CODE_TTL_S")
    code_max_tries: int = _limit(3, "ORDERS_CODE_MAX_TRIES")
    code_max_sends: int = _limit(5, "ORDERS_CODE_MAX_SENDS")
    code_send_window: timedelta = timedelta(hours=1)


@dataclass
class Counters:
    """Since the process started; served at /metrics for alerting (lockouts, proofs_refused_locked)."""

    proofs_verified: int = 0
    proofs_failed: int = 0
    proofs_refused_locked: int = 0
    lockouts: int = 0
    codes_sent: int = 0
    codes_redeemed: int = 0
    codes_rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def proof_keys(number: int, clients: Sequence[str]) -> list[Key]:
    """The order number, and each client key hashed (it may hold an address: no plain copy at rest)."""
    hashed = {hashlib.sha256(client.encode()).hexdigest()[:32] for client in clients}
    return [("order", f"{number:06d}"), *(("client", key) for key in sorted(hashed))]


def _matching(keys: Sequence[Key]) -> ColumnElement[bool]:
    return or_(*(and_(ProofLockout.scope == scope, ProofLockout.key == key) for scope, key in keys))


class ProofGuard:
    def __init__(self, settings: AccessSettings, counters: Counters) -> None:
        self.settings = settings
        self.counters = counters

    async def locked_until(self, session: AsyncSession, keys: Sequence[Key], now: datetime) -> datetime | None:
        query = select(func.max(ProofLockout.until)).where(_matching(keys), ProofLockout.until > now)
        return await session.scalar(query)

    async def record_failure(self, session: AsyncSession, keys: Sequence[Key], now: datetime) -> datetime | None:
        """Counts one failure for every key; returns the end of the lockout if this one caused one."""
        session.add_all(ProofFailure(scope=scope, key=key, at=now) for scope, key in keys)
        await session.flush()
        locked = None
        for scope, key in keys:
            failures = await self._recent_failures(session, scope, key, now)
            limit = self.settings.max_order_failures if scope == "order" else self.settings.max_client_failures
            if failures >= limit:
                locked = now + self.settings.lockout
                session.add(ProofLockout(scope=scope, key=key, locked_at=now, until=locked, failures=failures))
                self.counters.lockouts += 1
                logger.warning(
                    "ownership proof lockout: %s %s locked until %sZ after %d failed proofs in %d s",
                    scope,
                    key,
                    locked.isoformat(),
                    failures,
                    self.settings.window.total_seconds(),
                )
        return locked

    async def _recent_failures(self, session: AsyncSession, scope: str, key: str, now: datetime) -> int:
        """Failures in the window since the last lockout began (a lockout uses them up)."""
        last_lock = await session.scalar(
            select(func.max(ProofLockout.locked_at)).where(ProofLockout.scope == scope, ProofLockout.key == key)
        )
        since = now - self.settings.window
        query = select(func.count(ProofFailure.id)).where(
            ProofFailure.scope == scope, ProofFailure.key == key, ProofFailure.at > since
        )
        if last_lock is not None:
            query = query.where(ProofFailure.at > last_lock)
        return int(await session.scalar(query) or 0)

    async def prune(self, session: AsyncSession, now: datetime) -> None:
        """Old rows carry no information once out of every window."""
        horizon = now - max(self.settings.window, self.settings.lockout) - timedelta(days=1)
        await session.execute(delete(ProofFailure).where(ProofFailure.at < horizon))
        await session.execute(delete(ProofLockout).where(ProofLockout.until < horizon))


def retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


class ChangeCodes:
    def __init__(self, settings: AccessSettings, secret: bytes, counters: Counters) -> None:
        self.settings = settings
        self._secret = secret
        self.counters = counters

    def _hash(self, number: int, purpose: str, code: str) -> str:
        return hmac.new(self._secret, f"{number}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()

    async def issue(self, session: AsyncSession, number: int, purpose: str, now: datetime) -> str:
        """A new code for the order and purpose; earlier unused ones stop working."""
        sent = await session.scalar(
            select(func.count(ChangeCode.id)).where(
                ChangeCode.order_number == number, ChangeCode.created_at > now - self.settings.code_send_window
            )
        )
        if (sent or 0) >= self.settings.code_max_sends:
            logger.warning("code refused for order %s: %d codes sent within the hour", number, sent)
            raise TooMany(
                f"Too many codes were sent for order {number} in the last hour; please try again later.",
            )
        await session.execute(
            update(ChangeCode)
            .where(ChangeCode.order_number == number, ChangeCode.used_at.is_(None), ChangeCode.expires_at > now)
            .values(expires_at=now)
        )
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        session.add(
            ChangeCode(
                order_number=number,
                purpose=purpose,
                code_hash=self._hash(number, purpose, code),
                created_at=now,
                expires_at=now + self.settings.code_ttl,
                attempts=0,
            )
        )
        return code

    async def withdraw(self, session: AsyncSession, number: int, now: datetime) -> None:
        """A code whose mail could not be sent must not stay valid."""
        await session.execute(
            update(ChangeCode)
            .where(ChangeCode.order_number == number, ChangeCode.used_at.is_(None), ChangeCode.expires_at > now)
            .values(expires_at=now)
        )

    async def check(
        self, session: AsyncSession, number: int, purpose: str, code: str, now: datetime
    ) -> CodeRejected | None:
        """Spends the code if it is right; otherwise counts the try and returns why it was refused.
        Returned, not raised, so the caller commits the counted try before refusing."""
        row = await session.scalar(
            select(ChangeCode)
            .where(ChangeCode.order_number == number, ChangeCode.purpose == purpose, ChangeCode.used_at.is_(None))
            .order_by(ChangeCode.id.desc())
            .limit(1)
        )
        max_tries = self.settings.code_max_tries
        if row is None or row.expires_at <= now or row.attempts >= max_tries:
            return self._rejected(number, "code_expired")
        if not hmac.compare_digest(self._hash(number, purpose, code), row.code_hash):
            tries = row.attempts  # read before the UPDATE, which refreshes the loaded row
            counted = await rows_changed(
                session,
                update(ChangeCode)
                .where(ChangeCode.id == row.id, ChangeCode.attempts < max_tries)
                .values(attempts=ChangeCode.attempts + 1),
            )
            left = max_tries - tries - 1 if counted == 1 else 0
            return self._rejected(number, "code_invalid" if left > 0 else "code_expired", left)
        # Single use even under concurrency: only one request can flip used_at from NULL.
        spent = await rows_changed(
            session,
            update(ChangeCode)
            .where(ChangeCode.id == row.id, ChangeCode.used_at.is_(None), ChangeCode.attempts < max_tries)
            .values(used_at=now),
        )
        if spent != 1:
            return self._rejected(number, "code_expired")
        self.counters.codes_redeemed += 1
        return None

    def _rejected(self, number: int, code: str, left: int = 0) -> CodeRejected:
        self.counters.codes_rejected += 1
        logger.info("change code for order %s refused: %s", number, code)
        if code == "code_invalid":
            tries = "1 more try" if left == 1 else f"{left} more tries"
            return CodeRejected(f"That code is not right; you have {tries}.", code=code, details={"tries_left": left})
        return CodeRejected(
            "This code can no longer be used (it expired, was already used, or was entered wrong too often). "
            "Please ask for a new one.",
            code=code,
        )
