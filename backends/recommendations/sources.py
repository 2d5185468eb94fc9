"""Where the recommender's items come from, and the snapshot that outlives a graph outage.

The shop's catalogue lives in the knowledge-graph service (`python -m knowledge_graph.importers FILE`
writes there), so that is the source whenever KG_URL is set; the demo catalogue file is only the
fallback when no graph service is configured. Each successful read from the graph is saved as a
JSON snapshot, so a restart while the graph is down still starts with the shop's items.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from backends.recommendations.demo import demo_items
from backends.recommendations.items import ItemCatalogue, from_details
from contracts.catalogue import ProductDetails, ProductLink
from contracts.catalogue_wire import details_from_json
from service_clients.catalogue import CatalogueClient, CatalogueUnavailable

logger = logging.getLogger(__name__)


class ItemsUnavailable(Exception):
    """The source cannot be read right now (graph down, slow, refusing the token, bad answer)."""


class ItemSource(Protocol):
    name: str  # "graph", "demo" or "fixed": reported by /health and /items/refresh
    refreshable: bool  # worth re-reading on a timer (the graph changes on every import)

    async def fetch(self) -> ItemCatalogue: ...


@dataclass
class StaticSource:
    """A catalogue that does not change while the service runs (the demo file, or one given in code)."""

    name: str
    load: Callable[[], ItemCatalogue]
    refreshable: bool = False

    async def fetch(self) -> ItemCatalogue:
        return self.load()


class GraphPages(CatalogueClient):
    """The knowledge-graph client plus the paged whole-catalogue read only this service needs."""

    service = "knowledge-graph service"

    async def page(self, after: str, limit: int) -> tuple[list[ProductDetails], list[ProductLink], str | None]:
        data = await self._get("/catalogue", {"after": after, "limit": str(limit)})
        products = [details_from_json(item) for item in data["products"]]
        links = [ProductLink(**link) for link in data["links"]]
        return products, links, data.get("next")


class GraphSource:
    name = "graph"
    refreshable = True

    def __init__(self, url: str, token: str, timeout_s: float = 30.0, page_size: int = 500) -> None:
        self.url, self.token, self.timeout_s, self.page_size = url, token, timeout_s, page_size

    async def fetch(self) -> ItemCatalogue:
        """Every product page by page; any failure on the way means no new catalogue (never a partial one)."""
        products: list[ProductDetails] = []
        links: list[ProductLink] = []
        after = ""
        try:
            async with GraphPages(self.url, self.token, timeout_s=self.timeout_s) as client:
                while True:
                    page, page_links, following = await client.page(after, self.page_size)
                    products += page
                    links += page_links
                    if following is None or following <= after:  # <= : a broken cursor must not loop forever
                        break
                    after = following
        except CatalogueUnavailable as error:
            raise ItemsUnavailable(str(error)) from error
        except (KeyError, TypeError, ValueError) as error:
            raise ItemsUnavailable(f"unexpected answer from {self.url}/catalogue: {error!r}") from error
        return from_details(products, links)


def source_from_env(env: dict[str, str] | os._Environ[str], timeout_s: float, page_size: int) -> ItemSource:
    url = env.get("KG_URL", "")
    if not url:
        logger.warning("no knowledge-graph service configured (KG_URL is not set): items come from the demo catalogue")
        return StaticSource("demo", demo_items)
    if not env.get("KG_API_TOKEN"):
        logger.error("KG_API_TOKEN is not set: the knowledge-graph service will refuse the item reads")
    return GraphSource(url, env.get("KG_API_TOKEN", ""), timeout_s, page_size)


def save_snapshot(catalogue: ItemCatalogue, path: Path) -> None:
    """Written to a temporary file and renamed, so a reader never sees half a snapshot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as out:
        json.dump(catalogue.to_json(), out, separators=(",", ":"))
    Path(out.name).replace(path)


def load_snapshot(path: Path | None) -> ItemCatalogue | None:
    """The last catalogue read from the graph, or None when there is none (or it is unreadable)."""
    if path is None or not path.exists():
        return None
    try:
        return ItemCatalogue.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.error("item snapshot %s is unreadable (%s): ignoring it", path, error)
        return None
