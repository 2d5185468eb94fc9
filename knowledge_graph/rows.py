"""A Catalogue flattened into table rows: the one mapping both stores write from.

Derived product properties (price range, stock, category ancestry) are computed here, at write
time, so reads stay one-hop and both stores hold exactly the same values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from contracts.catalogue import Catalogue, Category, Product, category_path
from knowledge_graph import schema

Row = dict[str, Any]


@dataclass
class CatalogueRows:
    nodes: dict[str, list[Row]] = field(default_factory=dict)  # node table name -> rows
    edges: dict[str, list[Row]] = field(default_factory=dict)  # rel table name -> {source, target, ...}
    # Products whose outgoing edges of each relation this import replaces (re-import never duplicates).
    edge_owners: dict[str, list[str]] = field(default_factory=dict)


def batches(rows: list[Any], size: int) -> Iterator[list[Any]]:
    """Slices of at most `size` rows: one query per slice keeps transactions and parameters small."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def category_ancestry(categories: Iterable[Category]) -> dict[str, list[str]]:
    """Each category id -> its ids from the root down to itself."""
    parents = {c.id: c.parent_id for c in categories}
    return {category_id: list(category_path(category_id, parents)) for category_id in parents}


def product_row(product: Product, ancestry: dict[str, list[str]], brand_names: dict[str, str]) -> Row:
    category_path = ancestry.get(product.category_id, [product.category_id]) if product.category_id else []
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "product_type": product.product_type,
        "tags": list(product.tags),
        "image_url": product.image_url,
        "currency": product.currency,
        "min_price": product.min_price,
        "max_price": product.max_price,
        "total_stock": product.total_stock,
        "in_stock": product.total_stock > 0,
        "category_path": category_path,
        "brand": brand_names.get(product.brand_id, product.brand_id) if product.brand_id else None,
    }


def variant_rows(product: Product) -> list[Row]:
    return [
        {
            "sku": v.sku,
            "product_id": product.id,
            "title": v.title,
            "price": float(v.price),
            "compare_at_price": None if v.compare_at_price is None else float(v.compare_at_price),
            "stock": int(v.stock),
            "colour": v.colour,
            "size": v.size,
            "option_names": list(v.option_names),
            "option_values": list(v.option_values),
            "position": position,
        }
        for position, v in enumerate(product.variants)
    ]


def catalogue_rows(catalogue: Catalogue, known_categories: Iterable[Category] = ()) -> CatalogueRows:
    """`known_categories` lets a partial feed resolve ancestry of categories imported earlier."""
    categories = {c.id: c for c in known_categories}
    categories.update({c.id: c for c in catalogue.categories})
    ancestry = category_ancestry(categories.values())
    brand_names = {b.id: b.name for b in catalogue.brands}
    rows = CatalogueRows()
    rows.nodes[schema.CATEGORY.name] = [{"id": c.id, "name": c.name} for c in catalogue.categories]
    rows.nodes[schema.BRAND.name] = [{"id": b.id, "name": b.name} for b in catalogue.brands]
    rows.nodes[schema.PRODUCT.name] = [product_row(p, ancestry, brand_names) for p in catalogue.products]
    rows.nodes[schema.VARIANT.name] = [row for p in catalogue.products for row in variant_rows(p)]
    attributes = {a.id: a for p in catalogue.products for a in p.attributes}
    rows.nodes[schema.ATTRIBUTE.name] = [{"id": a.id, "name": a.name, "value": a.value} for a in attributes.values()]
    rows.nodes[schema.POLICY.name] = [
        {"id": x.id, "title": x.title, "answer": x.answer, "topics": list(x.topics)} for x in catalogue.policies
    ]
    _add_edges(rows, catalogue)
    return rows


def _add_edges(rows: CatalogueRows, catalogue: Catalogue) -> None:
    product_ids = [p.id for p in catalogue.products]
    products = catalogue.products
    rows.edges[schema.HAS_VARIANT.name] = [{"source": p.id, "target": v.sku} for p in products for v in p.variants]
    rows.edges[schema.IN_CATEGORY.name] = [{"source": p.id, "target": p.category_id} for p in products if p.category_id]
    rows.edges[schema.MADE_BY.name] = [{"source": p.id, "target": p.brand_id} for p in products if p.brand_id]
    rows.edges[schema.HAS_ATTRIBUTE.name] = [{"source": p.id, "target": a.id} for p in products for a in p.attributes]
    rows.edges[schema.SUBCATEGORY_OF.name] = [
        {"source": c.id, "target": c.parent_id} for c in catalogue.categories if c.parent_id
    ]
    for name in (schema.HAS_VARIANT.name, schema.IN_CATEGORY.name, schema.MADE_BY.name, schema.HAS_ATTRIBUTE.name):
        rows.edge_owners[name] = product_ids
    rows.edge_owners[schema.SUBCATEGORY_OF.name] = [c.id for c in catalogue.categories]
    for kind in schema.PRODUCT_LINKS:
        links = [link for link in catalogue.links if link.kind == kind]
        rows.edges[kind] = [{"source": x.source_id, "target": x.target_id, "score": float(x.score)} for x in links]
        rows.edge_owners[kind] = sorted({x.source_id for x in links})
