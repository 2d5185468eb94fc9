"""The graph's node and relation tables, declared once for both stores.

The embedded engine needs typed tables declared before use; Neo4j needs uniqueness constraints.
Both are generated from these declarations, and so is the diagram in docs/knowledge-graph.md, so the
three cannot drift apart. Names here are constants, never built from user text.
"""

from __future__ import annotations

from dataclasses import dataclass

STRING, DOUBLE, INT64, BOOLEAN, STRING_LIST = "STRING", "DOUBLE", "INT64", "BOOLEAN", "STRING[]"


@dataclass(frozen=True)
class NodeTable:
    name: str
    key: str
    columns: tuple[tuple[str, str], ...]  # (property, type), key first

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


@dataclass(frozen=True)
class RelTable:
    name: str
    source: str
    target: str
    columns: tuple[tuple[str, str], ...] = ()


PRODUCT = NodeTable(
    "Product",
    "id",
    (
        ("id", STRING),
        ("title", STRING),
        ("description", STRING),
        ("product_type", STRING),
        ("tags", STRING_LIST),
        ("image_url", STRING),
        ("currency", STRING),
        ("min_price", DOUBLE),
        ("max_price", DOUBLE),
        ("total_stock", INT64),
        ("in_stock", BOOLEAN),
        # Ancestor category ids incl. its own: "in this category or below" without path queries.
        ("category_path", STRING_LIST),
        ("brand", STRING),
    ),
)
VARIANT = NodeTable(
    "Variant",
    "sku",
    (
        ("sku", STRING),
        ("product_id", STRING),
        ("title", STRING),
        ("price", DOUBLE),
        ("compare_at_price", DOUBLE),
        ("stock", INT64),
        ("colour", STRING),
        ("size", STRING),
        ("option_names", STRING_LIST),
        ("option_values", STRING_LIST),
        ("position", INT64),  # the shop's order of variants (S, M, L), not alphabetical
    ),
)
CATEGORY = NodeTable("Category", "id", (("id", STRING), ("name", STRING)))
BRAND = NodeTable("Brand", "id", (("id", STRING), ("name", STRING)))
ATTRIBUTE = NodeTable("Attribute", "id", (("id", STRING), ("name", STRING), ("value", STRING)))
POLICY = NodeTable("Policy", "id", (("id", STRING), ("title", STRING), ("answer", STRING), ("topics", STRING_LIST)))

NODE_TABLES = (PRODUCT, VARIANT, CATEGORY, BRAND, ATTRIBUTE, POLICY)

HAS_VARIANT = RelTable("HAS_VARIANT", "Product", "Variant")
IN_CATEGORY = RelTable("IN_CATEGORY", "Product", "Category")
SUBCATEGORY_OF = RelTable("SUBCATEGORY_OF", "Category", "Category")
MADE_BY = RelTable("MADE_BY", "Product", "Brand")
HAS_ATTRIBUTE = RelTable("HAS_ATTRIBUTE", "Product", "Attribute")
PRODUCT_LINKS = {
    kind: RelTable(kind, "Product", "Product", (("score", DOUBLE),))
    for kind in ("COMPATIBLE_WITH", "SIMILAR_TO", "ACCESSORY_OF", "REPLACED_BY")
}

REL_TABLES = (HAS_VARIANT, IN_CATEGORY, SUBCATEGORY_OF, MADE_BY, HAS_ATTRIBUTE, *PRODUCT_LINKS.values())

NODE_BY_NAME = {table.name: table for table in NODE_TABLES}


def mermaid_diagram() -> str:
    """The schema as a Mermaid graph for the docs."""
    lines = ["graph LR"]
    for rel in REL_TABLES:
        lines.append(f"    {rel.source} -- {rel.name} --> {rel.target}")
    return "\n".join(lines)
