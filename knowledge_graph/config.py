"""Which graph store to use, from environment variables with safe defaults.

KG_STORE=embedded (default): LadybugDB file at KG_DB_PATH ($ASSISTANT_VAR/graph/catalogue.lbdb).
KG_STORE=neo4j: NEO4J_URI (bolt://, neo4j://, neo4j+s:// for Aura), NEO4J_USER, NEO4J_PASSWORD,
NEO4J_DATABASE. The semantic index lives at KG_INDEX_DIR ($ASSISTANT_VAR/graph/semantic-index).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from knowledge_graph.store import GraphStore

STORES = ("embedded", "neo4j")


def var_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("ASSISTANT_VAR", "var"))


def index_dir(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("KG_INDEX_DIR") or var_dir(env) / "graph" / "semantic-index")


def open_store(env: Mapping[str, str] = os.environ) -> GraphStore:
    kind = env.get("KG_STORE", "embedded")
    if kind == "embedded":
        from knowledge_graph.embedded_store import EmbeddedGraphStore

        return EmbeddedGraphStore(env.get("KG_DB_PATH") or var_dir(env) / "graph" / "catalogue.lbdb")
    if kind == "neo4j":
        from knowledge_graph.neo4j_store import Neo4jGraphStore, Neo4jSettings

        return Neo4jGraphStore(
            Neo4jSettings(
                uri=env.get("NEO4J_URI", "bolt://127.0.0.1:7687"),
                user=env.get("NEO4J_USER") or None,
                password=env.get("NEO4J_PASSWORD") or None,
                database=env.get("NEO4J_DATABASE") or None,
            )
        )
    raise ValueError(f"KG_STORE={kind!r}: expected one of {', '.join(STORES)}")
