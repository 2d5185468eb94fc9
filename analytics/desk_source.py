"""The desk's analytics page source: the report of analytics/report.py, kept warm in the desk process.

The stores are read again when the figures are older than ANALYTICS_REFRESH_S (tracker events
incrementally: only the rows after the last one read), and the report is built in a worker thread
so the desk's event loop keeps serving agents. One lock: two agents opening the page at once share
one refresh."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from analytics.settings import AnalyticsSettings, Grain, StoreUrls

if TYPE_CHECKING:
    from analytics.warehouse import Warehouse


class DeskAnalytics:
    """The warehouse (DuckDB, Arrow) is opened when a lead first opens the page: a desk nobody reads
    analytics on does not carry it (about 130 MiB with the report's libraries)."""

    def __init__(
        self, urls: StoreUrls, settings: AnalyticsSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.urls = urls
        self.warehouse: Warehouse | None = None
        self.settings = settings
        self._clock = clock
        self._lock = asyncio.Lock()
        self._reports: dict[str, tuple[float, dict[str, Any]]] = {}
        self._refreshed_at: float | None = None

    @classmethod
    def from_env(cls) -> DeskAnalytics:
        return cls(StoreUrls.from_env(), AnalyticsSettings.from_env())

    async def report(self, grain: str) -> dict[str, Any]:
        async with self._lock:
            now = self._clock()
            if self.warehouse is None:
                from analytics.warehouse import Warehouse

                self.warehouse = Warehouse(self.urls)
            if self._refreshed_at is None or now - self._refreshed_at >= self.settings.refresh_s:
                await self.warehouse.refresh()
                self._refreshed_at, self._reports = now, {}
            if grain not in self._reports:
                from analytics.report import build  # matplotlib and scikit-learn: on first use too

                since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=self.settings.days)
                built = await asyncio.to_thread(build, self.warehouse, _grain(grain), since, self.settings.embedding)
                self._reports[grain] = (now, built.as_json())
            return self._reports[grain][1]

    async def aclose(self) -> None:
        if self.warehouse is not None:
            await self.warehouse.aclose()


def _grain(value: str) -> Grain:
    if value == "week":
        return "week"
    return "day"
