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
from typing import Any

from analytics.figures import Grain
from analytics.settings import AnalyticsSettings
from analytics.warehouse import StoreUrls, Warehouse


class DeskAnalytics:
    def __init__(
        self, urls: StoreUrls, settings: AnalyticsSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.warehouse = Warehouse(urls)
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
            if self._refreshed_at is None or now - self._refreshed_at >= self.settings.refresh_s:
                await self.warehouse.refresh()
                self._refreshed_at, self._reports = now, {}
            if grain not in self._reports:
                # Imported here: matplotlib and scikit-learn load when a lead first opens the page,
                # not every time the desk starts.
                from analytics.report import build

                since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=self.settings.days)
                built = await asyncio.to_thread(build, self.warehouse, _grain(grain), since, self.settings.embedding)
                self._reports[grain] = (now, built.as_json())
            return self._reports[grain][1]

    async def aclose(self) -> None:
        await self.warehouse.aclose()


def _grain(value: str) -> Grain:
    if value == "week":
        return "week"
    return "day"
