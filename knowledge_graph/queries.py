"""Read queries in the Cypher both stores speak (Neo4j 5 and the embedded Kùzu-family engine).

Every value comes in as a parameter. The only text ever composed is from the constants below
(relation names from the schema, filter fragments chosen by which filters are set), never from
user input. Every list is ordered completely, so both stores return rows in the same order.
"""

from __future__ import annotations

from knowledge_graph import schema

SUMMARY = (
    "{v}.id AS id, {v}.title AS title, {v}.brand AS brand, {v}.product_type AS product_type, "
    "{v}.min_price AS min_price, {v}.max_price AS max_price, {v}.currency AS currency, "
    "{v}.in_stock AS in_stock, {v}.total_stock AS total_stock, {v}.image_url AS image_url, "
    "{v}.category_path AS category_path"
)

PRODUCTS_BY_ID = (
    "UNWIND $ids AS wanted MATCH (p:Product {id: wanted}) "
    f"RETURN {SUMMARY.format(v='p')}, p.description AS description, p.tags AS tags ORDER BY id"
)

# One page of every product, keyset-paged by id (for consumers that mirror the whole catalogue).
PRODUCT_PAGE = (
    f"MATCH (p:Product) WHERE p.id > $after RETURN {SUMMARY.format(v='p')}, p.description AS description, "
    "p.tags AS tags ORDER BY id LIMIT $limit"
)

# How the products of a details query are matched. One id uses the primary-key index on both
# stores; the embedded engine does not use it for ids that come from UNWIND (a full scan per id,
# measured 173 ms at 20k products), so several ids are matched by one scan with IN instead.
ONE_PRODUCT = "MATCH (p:Product {id: $id})"
SOME_PRODUCTS = "MATCH (p:Product) WHERE p.id IN $ids"


def variants_of(match: str) -> str:
    return (
        f"{match} MATCH (p)-[:HAS_VARIANT]->(v:Variant) "
        "RETURN p.id AS product_id, v.sku AS sku, v.title AS title, v.price AS price, "
        "v.compare_at_price AS compare_at_price, v.stock AS stock, v.colour AS colour, v.size AS size, "
        "v.option_names AS option_names, v.option_values AS option_values, v.position AS position "
        "ORDER BY product_id, position, sku"
    )


def attributes_of(match: str) -> str:
    return (
        f"{match} MATCH (p)-[:HAS_ATTRIBUTE]->(a:Attribute) "
        "RETURN p.id AS product_id, a.name AS name, a.value AS value ORDER BY product_id, name, value"
    )


CATEGORIES_BY_ID = "UNWIND $ids AS wanted MATCH (c:Category {id: wanted}) RETURN c.id AS id, c.name AS name ORDER BY id"

ALL_CATEGORIES = (
    "MATCH (c:Category) OPTIONAL MATCH (c)-[:SUBCATEGORY_OF]->(parent:Category) "
    "RETURN c.id AS id, c.name AS name, parent.id AS parent_id ORDER BY id"
)

PRODUCT_NAMES = "MATCH (p:Product) RETURN p.id AS id, p.title AS title, p.brand AS brand ORDER BY id"

ALL_POLICIES = (
    "MATCH (x:Policy) RETURN x.id AS id, x.title AS title, x.answer AS answer, x.topics AS topics ORDER BY id"
)

BRANDS = "MATCH (b:Brand) RETURN b.id AS id, b.name AS name ORDER BY name, id"

# Filter fragments for list_products / related; keys are the filter names in store.ProductFilter.
FILTERS = {
    "category": "$category IN {v}.category_path",
    "brand": "{v}.brand = $brand",
    "max_price": "{v}.min_price <= $max_price",
    "min_price": "{v}.max_price >= $min_price",
    "in_stock_only": "{v}.in_stock = true",
}


def where(filters: dict[str, object], variable: str) -> str:
    """A WHERE clause for the filters that are set; values stay parameters."""
    parts = [FILTERS[name].format(v=variable) for name, value in filters.items() if value not in (None, False)]
    return f" WHERE {' AND '.join(parts)}" if parts else ""


def list_products(filters: dict[str, object]) -> str:
    return f"MATCH (p:Product){where(filters, 'p')} RETURN {SUMMARY.format(v='p')} ORDER BY title, id LIMIT $limit"


def related(kind: str, incoming: bool, filters: dict[str, object]) -> str:
    """Products linked to $id by `kind`: outgoing (a case -> the phones it fits) or incoming."""
    if kind not in schema.PRODUCT_LINKS:
        raise ValueError(f"unknown relation {kind!r}")
    pattern = (
        f"(p:Product {{id: $id}})<-[r:{kind}]-(q:Product)"
        if incoming
        else f"(p:Product {{id: $id}})-[r:{kind}]->(q:Product)"
    )
    return (
        f"MATCH {pattern}{where(filters, 'q')} RETURN {SUMMARY.format(v='q')}, r.score AS score "
        "ORDER BY score DESC, min_price, id LIMIT $limit"
    )


def links_from(kind: str) -> str:
    """Outgoing `kind` links of the products in $ids (each link once: by its source's page)."""
    if kind not in schema.PRODUCT_LINKS:
        raise ValueError(f"unknown relation {kind!r}")
    return (
        f"MATCH (p:Product)-[r:{kind}]->(q:Product) WHERE p.id IN $ids "
        "RETURN p.id AS source, q.id AS target, r.score AS score ORDER BY source, target"
    )


def count(label: str) -> str:
    if label not in schema.NODE_BY_NAME:
        raise ValueError(f"unknown node table {label!r}")
    return f"MATCH (n:{label}) RETURN count(n) AS n"
