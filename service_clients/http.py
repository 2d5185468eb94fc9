"""The transport every client of our own services shares: one aiohttp session, bearer token, JSON,
timeouts, one retry policy and one error mapping.

Only idempotent reads are retried (connection errors and 5xx, with a short backoff); a timeout is
not retried, so a slow service costs the caller at most about `timeout_s`. Writes are never
retried. A client is a thin typed layer: it names its service and its `unavailable` exception,
and maps the HTTP answers it knows (`_raise_for`) and, if its callers want other words, a missing
answer (`_no_answer`) to its own exceptions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Self

import aiohttp
from pydantic import Field
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from contracts.request_ids import HEADER, current_request_id
from settings_kit.settings import ServiceSettings

logger = logging.getLogger(__name__)


class ClientSettings(ServiceSettings):
    """Where a client finds its service: read with the client's prefix (`ORDERS_URL`, `ORDERS_API_TOKEN`,
    `ORDERS_TIMEOUT_S`); each client gives its own defaults for the address and the timeout."""

    url: str = ""
    api_token: str = ""
    timeout_s: float = Field(default=2.0, gt=0, le=300)


class Retryable(Exception):
    """Connection errors and 5xx: reads retry them; `final` is what the caller sees when retrying is over."""

    def __init__(self, final: Exception) -> None:
        super().__init__(str(final))
        self.final = final


def idempotent_retrying(retries: int) -> AsyncRetrying:
    """The one retry policy of our clients: `retries` more tries of a Retryable failure, 50 ms backoff doubling
    up to 0.5 s, so a read costs little more than its timeout even when the service restarts under it."""
    return AsyncRetrying(
        stop=stop_after_attempt(retries + 1),
        wait=wait_exponential(multiplier=0.05, max=0.5),
        retry=retry_if_exception_type(Retryable),
        reraise=True,
    )


class JsonServiceClient:
    """Use `async with` or call `close()` on shutdown."""

    service = "backend"  # for log lines and error texts
    unavailable: type[Exception] = ConnectionError  # raised when the service cannot answer
    actor = "action-server"  # the X-Actor header, for the services' audit logs; "" sends none
    # from_env reads <env_prefix>_URL, <env_prefix>_API_TOKEN and <env_prefix>_TIMEOUT_S.
    env_prefix = ""
    default_url = ""
    default_timeout_s = 2.0

    def __init__(self, base_url: str, token: str, timeout_s: float = 2.0, get_retries: int = 2) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        if self.actor:
            self._headers["X-Actor"] = self.actor
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._get_retries = get_retries
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """The client of `env` (default `os.environ`); a wrong timeout raises `InvalidSetting` naming it."""
        settings = ClientSettings.from_env(
            env, prefix=f"{cls.env_prefix}_", defaults={"url": cls.default_url, "timeout_s": cls.default_timeout_s}
        )
        if not settings.api_token:
            logger.error("%s_API_TOKEN is not set: every call to the %s will be refused", cls.env_prefix, cls.service)
        return cls(settings.url, settings.api_token, timeout_s=settings.timeout_s)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._session

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return await self._read("GET", path, params=params)

    async def _read(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """An idempotent request (a GET, or a POST that only reads): retried on transient failures."""
        try:
            async for attempt in idempotent_retrying(self._get_retries):
                with attempt:
                    return await self._request(method, path, **kwargs)
        except Retryable as error:
            raise error.final from error
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self, method: str, path: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """A write: sent once, never retried (a lost answer may mean it was done)."""
        try:
            return await self._request(method, path, json=body, headers=headers)
        except Retryable as error:
            raise error.final from error

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = self._base_url + path
        request_id = current_request_id()
        if request_id:  # the shopper message this call is for (contracts/request_ids.py)
            kwargs["headers"] = {**(kwargs.get("headers") or {}), HEADER: request_id}
        try:
            async with self._http().request(method, url, **kwargs) as response:
                data = await _json(response)
                status = response.status
        except asyncio.TimeoutError as error:  # aiohttp's timeouts; builtin TimeoutError on 3.11
            logger.warning("%s timed out: %s %s", self.service, method, path)
            raise self._no_answer(method, path, error) from error
        except aiohttp.ClientError as error:
            logger.warning("%s unreachable: %s %s: %s", self.service, method, path, error)
            raise Retryable(self._no_answer(method, path, error)) from error
        if status < 300:
            return data
        self._raise_for(status, data, method, path)
        raise AssertionError("unreachable")  # pragma: no cover

    def _no_answer(self, method: str, path: str, error: Exception) -> Exception:
        """The exception for a request that got no HTTP answer: a timeout (never retried) or a
        connection error (reads retry it first)."""
        if isinstance(error, asyncio.TimeoutError):
            return self.unavailable(f"{self.service} timed out ({method} {path})")
        return self.unavailable(f"{self.service} unreachable ({method} {path}): {error}")

    def _raise_for(self, status: int, data: Mapping[str, Any], method: str, path: str) -> None:
        """Subclasses map their 4xx answers first and call this for the rest."""
        message = (data.get("error") or {}).get("message", f"HTTP {status}")
        if status >= 500:
            logger.warning("%s error %s on %s %s: %s", self.service, status, method, path, message)
            raise Retryable(self.unavailable(f"{self.service} answered {status} ({method} {path})"))
        # 401 and anything else unexpected: a configuration problem, not the shopper's.
        logger.error("%s refused %s %s with %s: %s", self.service, method, path, status, message)
        raise self.unavailable(f"{self.service} answered {status}: {message}")


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        data = await response.json(content_type=None)
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}
