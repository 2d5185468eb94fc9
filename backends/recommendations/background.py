"""Timers of the running service: re-read the graph's catalogue, and pick up a retrained model file.

Both only ever swap whole objects in the service (see RecommendationService), and neither may end
the service: every failure is a log line and another try later.
"""

from __future__ import annotations

import asyncio
import logging

from backends.recommendations.service import ModelFileMissing, RecommendationService
from backends.recommendations.sources import ItemsUnavailable

logger = logging.getLogger(__name__)


def start(service: RecommendationService) -> list[asyncio.Task[None]]:
    tasks = []
    if service.source.refreshable:
        tasks.append(asyncio.create_task(keep_items_fresh(service), name="recs-items-refresh"))
    if service.settings.model_path is not None and service.settings.model_poll_s > 0:
        tasks.append(asyncio.create_task(watch_model_file(service), name="recs-model-watch"))
    return tasks


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def keep_items_fresh(service: RecommendationService) -> None:
    """Every items_refresh_s; after a failure (or when it started without the graph) sooner, from
    items_retry_s doubling up to items_refresh_s, until the graph answers again."""
    every, retry = service.settings.items_refresh_s, service.settings.items_retry_s
    failing = service.items_source in ("snapshot", "none")
    delay = retry if failing else every
    while failing or every > 0:
        await asyncio.sleep(delay)
        try:
            result = await service.refresh_items()
        except ItemsUnavailable as error:
            delay = min(delay * 2, max(every, retry)) if failing else retry
            failing = True
            logger.warning("items: the graph is still unavailable (%s); next try in %.0f s", error, delay)
            continue
        except Exception:
            logger.exception("items: refresh failed; keeping the current items")
            delay = max(every, retry)
            continue
        if failing:
            logger.info("items: the graph answers again (%d items)", result["items"])
        failing, delay = False, every


async def watch_model_file(service: RecommendationService) -> None:
    while True:
        await asyncio.sleep(service.settings.model_poll_s)
        try:
            await service.reload_model()
        except ModelFileMissing:
            pass  # nothing trained yet, or the file was removed: keep serving the model in memory
        except Exception:
            logger.exception("model file could not be loaded; keeping the current model")
