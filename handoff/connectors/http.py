"""The one HTTP client the connectors share: timeouts, error mapping and careful retries.

Only idempotent calls are retried after a network error or 5xx (a lost answer to a POST may mean the
ticket exists already); a 429 is retried for every call because the server did not process it.
Credentials live in the session (never in log lines or exception messages)."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from handoff.connectors.base import ConnectorRejected, ConnectorUnavailable

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
MAX_DETAIL_CHARS = 300


class RateLimited(ConnectorUnavailable):
    """HTTP 429; `retry_after` is the server's requested pause in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, default: float = 1.0) -> float:
    """Retry-After as seconds: either a number or an HTTP date (RFC 9110 section 10.2.3)."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def _detail(payload: Any, text: str) -> str:
    """The server's own explanation, short: RT says {"message"}, Zendesk {"error", "description"}."""
    if isinstance(payload, dict):
        parts = [payload.get(key) for key in ("message", "error", "description")]
        found = [part if isinstance(part, str) else json.dumps(part) for part in parts if part]
        if found:
            return ": ".join(found)[:MAX_DETAIL_CHARS]
    return " ".join(text.split())[:MAX_DETAIL_CHARS] or "(empty body)"


class JsonHttp:
    """JSON over HTTP to one origin for one connector; `system` names it in every error message."""

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        auth: aiohttp.BasicAuth | None = None,
        headers: Mapping[str, str] | None = None,
        credentials_hint: str = "the credentials",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        attempts: int = 3,
        backoff_s: float = 0.2,
        max_retry_after_s: float = 30.0,
    ) -> None:
        self.system = system
        self.base_url = base_url.rstrip("/") + "/"
        self.origin = urlsplit(self.base_url)._replace(path="", query="", fragment="").geturl()
        self._auth = auth
        self._headers = {"Accept": "application/json", **(headers or {})}
        self._credentials_hint = credentials_hint
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.max_retry_after_s = max_retry_after_s
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:  # no credentials in reprs either
        return f"JsonHttp({self.system!r}, {self.origin!r})"

    def url(self, path_or_url: str) -> str:
        """Absolute URL on our origin; a foreign absolute URL (e.g. a next_page link) is refused."""
        url = urljoin(self.base_url, path_or_url.lstrip("/")) if "://" not in path_or_url else path_or_url
        if url != self.origin and not url.startswith((self.origin + "/", self.origin + "?")):
            raise ConnectorRejected(f"{self.system}: refusing to send credentials to {url!r} (not {self.origin})", 0)
        return url

    async def call(
        self,
        method: str,
        path_or_url: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> tuple[int, Any]:
        """(status, parsed JSON or None) for a 2xx/3xx answer; raises ConnectorUnavailable/ConnectorRejected."""

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, RateLimited):
                return exc.retry_after <= self.max_retry_after_s
            return idempotent and isinstance(exc, ConnectorUnavailable)

        def pause(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, RateLimited):
                return exc.retry_after
            return min(self.backoff_s * 2 ** (state.attempt_number - 1), 2.0)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts), wait=pause, retry=retry_if_exception(retryable), reraise=True
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(method, self.url(path_or_url), json_body, data, params, headers)
        raise AssertionError("unreachable")  # pragma: no cover  (reraise=True always raises)

    async def _once(
        self,
        method: str,
        url: str,
        json_body: Any,
        data: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[int, Any]:
        path = urlsplit(url).path
        where = f"{self.system}: {method} {path}"
        try:
            async with self.session.request(
                method, url, json=json_body, data=data, params=params, headers=headers
            ) as response:
                text = await response.text(errors="replace")
                status, retry_after = response.status, response.headers.get("Retry-After")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            reason = f"no answer within {self._timeout.total:.0f} s" if isinstance(exc, asyncio.TimeoutError) else exc
            logger.warning("%s: cannot reach %s: %s", where, self.origin, reason)
            raise ConnectorUnavailable(f"{where}: cannot reach {self.origin}: {reason}") from exc
        try:
            payload = json.loads(text) if text.strip() else None
        except ValueError:
            payload = None
        logger.debug("%s -> HTTP %s", where, status)
        if status < 400:
            return status, payload
        detail = _detail(payload, text)
        if status == 429:
            seconds = retry_after_seconds(retry_after)
            logger.warning("%s rate limited; retry after %.1f s", where, seconds)
            raise RateLimited(f"{where}: rate limited (HTTP 429), retry after {seconds:.0f} s", seconds)
        if status >= 500:
            logger.warning("%s failed with HTTP %s: %s", where, status, detail)
            raise ConnectorUnavailable(f"{where}: server error HTTP {status}: {detail}")
        if status == 401:
            message = f"{where}: {self.origin} rejected the credentials (HTTP 401); check {self._credentials_hint}"
        else:
            message = f"{where}: rejected with HTTP {status}: {detail}"
        logger.warning("%s", message)
        raise ConnectorRejected(message, status)

    @property
    def session(self) -> aiohttp.ClientSession:
        """Created on first use, inside the running event loop."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(auth=self._auth, headers=self._headers, timeout=self._timeout)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
