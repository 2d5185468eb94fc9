"""One interface to the product graph, whichever database holds it.

`GraphStore` implements every read once, on top of a single primitive (`_read`: run a query, get
rows as dicts) that each backend provides; backends differ only in how they connect and write.
That is what lets one contract test suite demand the same answers from both.
"""

from __future__ import annotations

import abc
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.catalogue import (
    Attribute,
    Catalogue,
    Category,
    Policy,
    ProductDetails,
    ProductFilter,
    ProductLink,
    ProductSummary,
    RelatedProduct,
    Variant,
)
from knowledge_graph import queries, schema

Row = dict[str, Any]
PER_ID_LOOKUPS = 20  # up to this many products, one indexed query each beats one scan
# (stage, rows done in this step): how writers report progress to a progress bar.
ProgressCallback = Callable[[str, int], None]


def summary_from_row(row: Row) -> ProductSummary:
    """A product row (the columns of queries.PRODUCTS_BY_ID and the listings) as a summary."""
    return ProductSummary(
        id=row["id"],
        title=row["title"],
        brand=row["brand"],
        product_type=row["product_type"] or "",
        min_price=row["min_price"],
        max_price=row["max_price"],
        currency=row["currency"] or "USD",
        in_stock=bool(row["in_stock"]),
        total_stock=int(row["total_stock"] or 0),
        image_url=row["image_url"] or "",
        category_path=tuple(row["category_path"] or ()),
    )


@dataclass
class WriteReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)


class GraphStore(abc.ABC):
    """Reads shared by every backend; subclasses connect, run queries and write."""

    name = "abstract"

    @abc.abstractmethod
    async def _read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]: ...

    @abc.abstractmethod
    async def ensure_schema(self) -> None: ...

    @abc.abstractmethod
    async def write_catalogue(self, catalogue: Catalogue, progress: ProgressCallback | None = None) -> WriteReport:
        """Creates what is new and updates what exists (stock, prices, texts); never duplicates."""

    @abc.abstractmethod
    async def clear(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    # -- reads ---------------------------------------------------------------------------------

    async def product(self, product_id: str) -> ProductDetails | None:
        found = await self.products([product_id])
        return found[0] if found else None

    async def products(self, product_ids: Sequence[str]) -> list[ProductDetails]:
        """Details of the given products, in the order asked for; unknown ids are left out."""
        ids = list(dict.fromkeys(product_ids))
        return await self._details(ids, await self._read(queries.PRODUCTS_BY_ID, {"ids": ids}))

    async def product_page(self, after: str = "", limit: int = 200) -> tuple[list[ProductDetails], list[ProductLink]]:
        """Products with ids after `after` (id order) and their outgoing product links: the whole
        catalogue page by page, for a consumer that keeps its own copy (the recommender)."""
        rows = await self._read(queries.PRODUCT_PAGE, {"after": after, "limit": limit})
        ids = [row["id"] for row in rows]
        links: list[ProductLink] = []
        for kind in schema.PRODUCT_LINKS if ids else ():
            for row in await self._read(queries.links_from(kind), {"ids": ids}):
                links.append(ProductLink(kind, row["source"], row["target"], float(row["score"] or 0.0)))
        return await self._details(ids, rows), links

    async def _details(self, ids: list[str], rows: list[Row]) -> list[ProductDetails]:
        """Product rows (PRODUCTS_BY_ID's columns) plus variants, attributes and categories, in `ids` order."""
        if not rows:
            return []
        variants = await self._variants(ids)
        attributes = await self._attributes(ids)
        category_ids = sorted({c for row in rows for c in row["category_path"] or ()})
        categories = {
            row["id"]: Category(row["id"], row["name"])
            for row in await self._read(queries.CATEGORIES_BY_ID, {"ids": category_ids})
        }
        by_id = {row["id"]: row for row in rows}
        return [
            ProductDetails(
                summary=summary_from_row(by_id[pid]),
                description=by_id[pid]["description"] or "",
                tags=tuple(by_id[pid]["tags"] or ()),
                categories=tuple(categories[c] for c in by_id[pid]["category_path"] or () if c in categories),
                attributes=tuple(attributes.get(pid, ())),
                variants=tuple(variants.get(pid, ())),
            )
            for pid in ids
            if pid in by_id
        ]

    async def _variants(self, ids: list[str]) -> dict[str, list[Variant]]:
        found: dict[str, list[Variant]] = defaultdict(list)
        for row in await self._per_product(queries.variants_of, ids):
            found[row["product_id"]].append(
                Variant(
                    sku=row["sku"],
                    product_id=row["product_id"],
                    title=row["title"] or "",
                    price=float(row["price"]),
                    stock=int(row["stock"] or 0),
                    compare_at_price=row["compare_at_price"],
                    colour=row["colour"],
                    size=row["size"],
                    option_names=tuple(row["option_names"] or ()),
                    option_values=tuple(row["option_values"] or ()),
                )
            )
        return found

    async def _attributes(self, ids: list[str]) -> dict[str, list[Attribute]]:
        found: dict[str, list[Attribute]] = defaultdict(list)
        for row in await self._per_product(queries.attributes_of, ids):
            found[row["product_id"]].append(Attribute(row["name"], row["value"]))
        return found

    async def _per_product(self, query: Callable[[str], str], ids: list[str]) -> list[Row]:
        """A few ids one indexed lookup each; many ids in one scan (see queries.ONE_PRODUCT)."""
        if len(ids) > PER_ID_LOOKUPS:
            return await self._read(query(queries.SOME_PRODUCTS), {"ids": ids})
        rows: list[Row] = []
        for product_id in ids:
            rows += await self._read(query(queries.ONE_PRODUCT), {"id": product_id})
        return rows

    async def list_products(self, filters: ProductFilter = ProductFilter(), limit: int = 20) -> list[ProductSummary]:
        params = filters.params()
        rows = await self._read(queries.list_products(params), {**_set(params), "limit": limit})
        return [summary_from_row(row) for row in rows]

    async def related(
        self,
        product_id: str,
        kind: str,
        *,
        incoming: bool = False,
        filters: ProductFilter = ProductFilter(),
        limit: int = 10,
    ) -> list[RelatedProduct]:
        params = filters.params()
        query = queries.related(kind, incoming, params)
        rows = await self._read(query, {**_set(params), "id": product_id, "limit": limit})
        return [RelatedProduct(summary_from_row(row), kind, float(row["score"] or 0.0)) for row in rows]

    async def product_names(self) -> list[tuple[str, str, str | None]]:
        """(id, title, brand) of every product: what name resolution matches messages against."""
        return [(row["id"], row["title"], row["brand"]) for row in await self._read(queries.PRODUCT_NAMES)]

    async def categories(self) -> list[Category]:
        return [Category(row["id"], row["name"], row["parent_id"]) for row in await self._read(queries.ALL_CATEGORIES)]

    async def brands(self) -> list[tuple[str, str]]:
        return [(row["id"], row["name"]) for row in await self._read(queries.BRANDS)]

    async def policies(self) -> list[Policy]:
        rows = await self._read(queries.ALL_POLICIES)
        return [Policy(row["id"], row["title"], row["answer"], tuple(row["topics"] or ())) for row in rows]

    async def counts(self) -> dict[str, int]:
        return {table.name: (await self._read(queries.count(table.name)))[0]["n"] for table in schema.NODE_TABLES}

    async def warm_up(self) -> None:
        """Runs the reads a shopper's product question needs, once, on one product. A database server
        that has just started plans each query and reads its pages from disk on first use (over 1 s
        on Neo4j, measured), longer than a shopper should wait."""
        page, _ = await self.product_page(limit=1)
        await self.list_products(limit=1)
        if page:
            product_id = page[0].id
            await self.product(product_id)
            for kind in schema.PRODUCT_LINKS:
                await self.related(product_id, kind, limit=1)


def _set(params: dict[str, Any]) -> dict[str, Any]:
    """Only the parameters a composed query uses (the embedded engine rejects unused ones)."""
    return {name: value for name, value in params.items() if value not in (None, False)}
