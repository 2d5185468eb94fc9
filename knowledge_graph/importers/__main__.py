"""Import a catalogue: `python -m knowledge_graph.importers FILE [--format shopify|jsonl|csv]`.

When the assistant is running, the file is uploaded to its knowledge-graph service (which owns
the database); otherwise the graph configured by KG_* variables is opened and written directly.
Either way the semantic index is updated too, problems are listed with their line numbers, and
the rest of the file still imports. Running it again updates stock and prices in place.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

from catalogue_files.result import ImportResult
from knowledge_graph import config
from knowledge_graph.importers.feed import write_jsonl
from knowledge_graph.importers.load import FORMATS, guess_format, parse_file
from knowledge_graph.product_encoder import get_encoder
from knowledge_graph.product_graph import ProductGraph
from knowledge_graph.semantic_search import SemanticIndex

MAX_ISSUES_SHOWN = 50
CHUNK = 1 << 20


def settings() -> dict[str, str]:
    """The environment plus var/secrets.env (where the launcher keeps KG_API_TOKEN)."""
    env = dict(os.environ)
    secrets = config.var_dir(env) / "secrets.env"
    if secrets.exists():
        for line in secrets.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not line.startswith("#"):
                env.setdefault(name.strip(), value.strip())
    env.setdefault("KG_URL", f"http://127.0.0.1:{env.get('KG_PORT', '8102')}")
    return env


def service_running(env: dict[str, str]) -> bool:
    try:
        return requests.get(env["KG_URL"] + "/health", timeout=2).ok
    except requests.RequestException:
        return False


def upload(path: Path, kind: str, env: dict[str, str]) -> dict[str, Any]:
    size = path.stat().st_size
    with tqdm(total=size, unit="B", unit_scale=True, desc="upload") as bar:
        response = requests.post(
            env["KG_URL"] + "/imports",
            params={"format": kind},
            data=_chunks(path, bar),
            headers={"Authorization": f"Bearer {env.get('KG_API_TOKEN', '')}"},
            timeout=(5, 3600),
        )
    body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
    if not response.ok:
        raise SystemExit(f"the knowledge-graph service refused the import ({response.status_code}): {body}")
    return body


def upload_file_or_directory(path: Path, kind: str, env: dict[str, str]) -> dict[str, Any]:
    """A feed directory (several CSV files) is sent as one JSON-lines file with the same records."""
    if not path.is_dir():
        return upload(path, kind, env)
    result = parse_file(path, kind)
    print_issues(result.issues)
    with tempfile.TemporaryDirectory(prefix="kg-upload-") as tmp:
        combined = Path(tmp) / "feed.jsonl"
        write_jsonl(result.catalogue, combined)
        return upload(combined, "jsonl", env)


def _chunks(path: Path, bar: tqdm) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            bar.update(len(chunk))
            yield chunk


async def import_directly(result: ImportResult, env: dict[str, str]) -> dict[str, Any]:
    store = config.open_store(env)
    directory = config.index_dir(env)
    index = SemanticIndex.open(directory, get_encoder())
    try:
        graph = await ProductGraph.open(store, index, directory)
        with tqdm(total=None, unit=" rows", desc="graph") as bar:
            summary = await graph.import_catalogue(result.catalogue, lambda stage, n: _progress(bar, stage, n))
        return {"created": summary.graph.created, "updated": summary.graph.updated, "edges": summary.graph.edges}
    finally:
        await store.close()


def _progress(bar: tqdm, stage: str, rows: int) -> None:
    bar.set_postfix_str(stage)
    bar.update(rows)


def print_issues(issues: list[Any]) -> None:
    for issue in issues[:MAX_ISSUES_SHOWN]:
        line, message = (issue["line"], issue["message"]) if isinstance(issue, dict) else (issue.line, issue.message)
        print(f"  line {line}: {message}", file=sys.stderr)
    if len(issues) > MAX_ISSUES_SHOWN:
        print(f"  ... and {len(issues) - MAX_ISSUES_SHOWN} more", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_graph.importers", description=__doc__)
    parser.add_argument("file", type=Path, help="Shopify product CSV, feed .jsonl(.gz), or a feed CSV file/directory")
    parser.add_argument("--format", choices=sorted(FORMATS), help="default: guessed from the file")
    parser.add_argument("--direct", action="store_true", help="write the graph directly even if a service runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.file.exists():
        parser.error(f"{args.file} does not exist")
    kind = args.format or guess_format(args.file)
    env = settings()
    if not args.direct and service_running(env):
        report = upload_file_or_directory(args.file, kind, env)
        issues = report.get("issues", [])
        print(f"imported {report['products']} products / {report['variants']} variants via {env['KG_URL']}")
    else:
        result = parse_file(args.file, kind, progress=True)
        report = asyncio.run(import_directly(result, env))
        issues = result.issues
        print(f"imported {len(result.catalogue.products)} products / {result.catalogue.variant_count()} variants")
    print(f"created {report['created']}, updated {report['updated']}")
    if issues:
        print(f"{len(issues)} row(s) had problems and were skipped or partly imported:", file=sys.stderr)
        print_issues(issues)
    return 0


if __name__ == "__main__":
    sys.exit(main())
