"""The graph diagram in the docs is the schema's, not a hand-drawn copy that can drift."""

from __future__ import annotations

from pathlib import Path

from knowledge_graph.schema import mermaid_diagram

DOC = Path(__file__).resolve().parents[2] / "docs" / "knowledge-graph.md"


def test_docs_diagram_matches_the_schema() -> None:
    text = DOC.read_text()
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0].strip()
    assert block == mermaid_diagram()
