"""`python -m knowledge_graph.importers` run for real: direct import, bad rows by line, re-import in place."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from pathlib import Path

from knowledge_graph.embedded_store import EmbeddedGraphStore

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO.parent / "shared" / "data" / "shopify" / "apparel.csv"


def run_import(path: Path, var: Path) -> subprocess.CompletedProcess[str]:
    # KG_URL points at a closed port, so the command must take the direct path.
    env = {**os.environ, "ASSISTANT_VAR": str(var), "KG_URL": "http://127.0.0.1:9", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "knowledge_graph.importers", str(path)]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def with_bad_price(tmp_path: Path) -> tuple[Path, int]:
    """The sample with one variant row's price broken; returns the file and that record's first line."""
    rows = list(csv.reader(SAMPLE.open(encoding="utf-8-sig", newline="")))
    price = rows[0].index("Variant Price")
    bad_index = next(i for i, row in enumerate(rows[1:], start=1) if row[price] and row[1] == "")
    rows[bad_index][price] = "twelve dollars"
    target = tmp_path / "products.csv"
    with target.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return target, record_start_line(target, bad_index)


def record_start_line(path: Path, index: int) -> int:
    """Physical line where CSV record `index` starts (quoted bodies can span several lines)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        end_of_previous = 0
        for i, _ in enumerate(reader):
            if i == index:
                return end_of_previous + 1
            end_of_previous = reader.line_num
    raise IndexError(index)


def counts(var: Path) -> dict[str, int]:
    async def read() -> dict[str, int]:
        store = EmbeddedGraphStore(var / "graph" / "catalogue.lbdb")
        try:
            return await store.counts()
        finally:
            await store.close()

    return asyncio.run(read())


def test_direct_import_reports_the_bad_row_and_imports_the_rest(tmp_path: Path) -> None:
    path, line = with_bad_price(tmp_path)
    first = run_import(path, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "imported 20 products" in first.stdout
    assert f"line {line}:" in first.stderr and "price" in first.stderr.lower()
    after_first = counts(tmp_path)
    assert after_first["Product"] == 20
    assert (tmp_path / "graph" / "semantic-index").exists()

    again = run_import(path, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "created {'Product': 0" in again.stdout
    assert counts(tmp_path) == after_first
