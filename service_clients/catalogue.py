"""Typed async client of the knowledge-graph service (knowledge_graph/service.py).

Returns the catalogue's shared types (contracts.catalogue, decoded by contracts.catalogue_wire), so
actions read products the same way whichever store the service runs on. Every call is a read and is retried on
transient failures; when the service cannot answer, CatalogueUnavailable says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from contracts.catalogue import (
    Policy,
    ProductDetails,
    ProductFilter,
    ProductSummary,
    RelatedProduct,
    Resolution,
    SearchResult,
)
from contracts.catalogue_wire import (
    details_from_json,
    filter_to_query,
    policy_from_json,
    related_from_json,
    resolution_from_json,
    search_result_from_json,
    summary_from_json,
)
from service_clients.http import JsonServiceClient

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8102"


class CatalogueUnavailable(Exception):
    """The service is down, slow or refused us: the shopper hears an apology, the operator a log line."""


class CatalogueClient(JsonServiceClient):
    service = "knowledge-graph service"
    unavailable = CatalogueUnavailable
    env_prefix = "KG"
    default_url = DEFAULT_URL

    async def product(self, product_id: str) -> ProductDetails | None:
        found = await self.products([product_id])
        return found[0] if found else None

    async def products(self, product_ids: Sequence[str]) -> list[ProductDetails]:
        """Details in the order asked for; unknown ids are left out."""
        if not product_ids:
            return []
        data = await self._read("POST", "/products/lookup", json={"ids": list(product_ids)})
        return [details_from_json(item) for item in data["products"]]

    async def list_products(self, filters: ProductFilter = ProductFilter(), limit: int = 10) -> list[ProductSummary]:
        data = await self._get("/products", {**filter_to_query(filters), "limit": str(limit)})
        return [summary_from_json(item) for item in data["products"]]

    async def related(
        self,
        product_id: str,
        kind: str,
        *,
        incoming: bool = False,
        filters: ProductFilter = ProductFilter(),
        limit: int = 5,
    ) -> list[RelatedProduct]:
        params = {**filter_to_query(filters), "limit": str(limit), "incoming": "true" if incoming else "false"}
        data = await self._get(f"/products/{quote(product_id, safe='')}/related/{kind}", params)
        return [related_from_json(item) for item in data["related"]]

    async def resolve(self, text: str, limit: int = 5) -> Resolution:
        return resolution_from_json(await self._get("/resolve", {"text": text[:500], "limit": str(limit)}))

    async def search(self, text: str, k: int = 5, filters: ProductFilter | None = None) -> SearchResult:
        params = {**filter_to_query(filters or ProductFilter()), "text": text[:500], "k": str(k)}
        return search_result_from_json(await self._get("/search", params))

    async def policy(self, question: str) -> Policy | None:
        data = await self._get("/policy", {"question": question[:500]})
        return policy_from_json(data["policy"]) if data.get("policy") else None

    def _raise_for(self, status: int, data: Mapping[str, Any], method: str, path: str) -> None:
        if status == 404:
            raise CatalogueUnavailable(f"{path} not found")  # only reached for a wrong URL or version
        super()._raise_for(status, data, method, path)
