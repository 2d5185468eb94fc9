"""The product graph as the assistant uses it: the store, the semantic index and name resolution.

Both the knowledge-graph service and the import command (when no service is running) work
through this one class, so an import always updates the graph, the index and the name list
together.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import utils

from contracts.catalogue import (
    Attribute,
    Candidate,
    Catalogue,
    Policy,
    Product,
    ProductDetails,
    ProductFilter,
    ProductSummary,
    Resolution,
    SearchResult,
)
from knowledge_graph.resolver import ProductResolver
from knowledge_graph.search_filters import parse_filters
from knowledge_graph.semantic_search import IndexItem, SemanticIndex, UpsertStats, index_item, items_from_catalogue
from knowledge_graph.store import GraphStore, ProgressCallback, WriteReport

logger = logging.getLogger(__name__)

REBUILD_BATCH = 1_000
POLICY_SIMILARITY = 0.5  # cosine of question and policy title+topics that still means "this policy"


@dataclass
class ImportSummary:
    graph: WriteReport
    index: UpsertStats | None


class ProductGraph:
    def __init__(self, store: GraphStore, index: SemanticIndex, index_dir: Path | None = None) -> None:
        self.store = store
        self.index = index
        self.index_dir = index_dir
        self.resolver = ProductResolver([], index)
        self._policies: list[Policy] = []
        self._policy_vectors: np.ndarray | None = None

    @classmethod
    async def open(cls, store: GraphStore, index: SemanticIndex, index_dir: Path | None) -> ProductGraph:
        """Ready to answer: schema created, index loaded (or rebuilt if it does not match the graph)."""
        graph = cls(store, index, index_dir)
        await store.ensure_schema()
        await graph.refresh()
        if len(index) != len(graph.resolver) or index.lacks_words:
            logger.info("semantic index has %d products, graph %d: rebuilding", len(index), len(graph.resolver))
            await graph.rebuild_index()
        await store.warm_up()  # the first shopper's question: not the one that makes the database plan its queries
        return graph

    async def refresh(self) -> None:
        """Reloads what is held in memory (names, policies) after the graph changed."""
        self.resolver = ProductResolver(await self.store.product_names(), self.index)
        self._policies = await self.store.policies()
        self._policy_vectors = None
        if self._policies and self.index.encoder is not None:
            texts = [". ".join((p.title, ", ".join(p.topics))) for p in self._policies]
            self._policy_vectors = await asyncio.to_thread(self.index.encoder.encode, texts)

    # -- writing ---------------------------------------------------------------------------------

    async def import_catalogue(
        self, catalogue: Catalogue, progress: ProgressCallback | None = None, *, with_index: bool = True
    ) -> ImportSummary:
        report = await self.store.write_catalogue(catalogue, progress)
        stats = None
        if with_index and catalogue.products:
            stats = await asyncio.to_thread(self.index.upsert, items_from_catalogue(catalogue))
            await self.save_index()
        await self.refresh()
        return ImportSummary(report, stats)

    async def rebuild_index(self) -> None:
        ids = [product_id for product_id, _, _ in await self.store.product_names()]
        for start in range(0, len(ids), REBUILD_BATCH):
            details = await self.store.products(ids[start : start + REBUILD_BATCH])
            await asyncio.to_thread(self.index.upsert, [details_index_item(d) for d in details])
        stale = self.index.product_ids() - set(ids)
        if stale:
            self.index.remove(stale)
        await self.save_index()

    async def save_index(self) -> None:
        if self.index_dir is not None:
            await asyncio.to_thread(self.index.save, self.index_dir)

    # -- answering -------------------------------------------------------------------------------

    async def resolve(self, text: str, limit: int = 5) -> Resolution:
        match = await asyncio.to_thread(self.resolver.resolve, text, limit)
        summaries = await self._summaries([m.product_id for m in match.candidates])
        candidates = [
            Candidate(summaries[m.product_id], m.score) for m in match.candidates if m.product_id in summaries
        ]
        best = summaries.get(match.best) if match.best else None
        return Resolution(best, candidates, match.ambiguous)

    async def search(self, text: str, k: int = 5, filters: ProductFilter | None = None) -> SearchResult:
        query, parsed = parse_filters(text)
        given = filters or ProductFilter()
        merged = ProductFilter(
            category=given.category,
            brand=given.brand,
            max_price=given.max_price if given.max_price is not None else parsed.max_price,
            min_price=given.min_price if given.min_price is not None else parsed.min_price,
            in_stock_only=given.in_stock_only or parsed.in_stock_only,
        )
        hits = await asyncio.to_thread(self.index.search, query or text, k, **merged.params())
        summaries = await self._summaries([hit.product_id for hit in hits])
        found = [Candidate(summaries[h.product_id], float(h.score)) for h in hits if h.product_id in summaries]
        return SearchResult(found, merged, query or text)

    def policy(self, question: str) -> Policy | None:
        """The FAQ/policy entry for a question: one whose topic words it uses, else the closest in meaning."""
        words = set(utils.default_process(question).split())
        hits = [
            (sum(set(utils.default_process(t).split()) <= words for t in p.topics), i)
            for i, p in enumerate(self._policies)
        ]
        best_hits, best = max(hits, default=(0, -1))
        if best_hits:
            return self._policies[best]
        if self._policy_vectors is None or self.index.encoder is None:
            return None
        similarity = self._policy_vectors @ self.index.encoder.encode([question])[0]
        best = int(np.argmax(similarity))
        return self._policies[best] if similarity[best] >= POLICY_SIMILARITY else None

    async def _summaries(self, ids: list[str]) -> dict[str, ProductSummary]:
        return {d.id: d.summary for d in await self.store.products(ids)} if ids else {}


def details_index_item(details: ProductDetails) -> IndexItem:
    """The index entry of a product read back from the graph (same text as at import)."""
    summary = details.summary
    product = Product(
        id=summary.id,
        title=summary.title,
        description=details.description,
        product_type=summary.product_type,
        brand_id=summary.brand,
        category_id=summary.category_path[-1] if summary.category_path else None,
        tags=details.tags,
        attributes=tuple(Attribute(a.name, a.value) for a in details.attributes),
        variants=details.variants,
    )
    return index_item(
        product,
        brand_name=summary.brand,
        category_ids=summary.category_path,
        category_names=[c.name for c in details.categories],
    )
