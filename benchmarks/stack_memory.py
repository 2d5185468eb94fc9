"""Memory of a whole default stack in use: started fresh, a catalogue imported, conversations held.

Issue 15's figure is the whole default stack (one Rasa worker, embedded stores) after a 2,600-product
import. This starts a throwaway stack as the end-to-end tests do, imports the catalogue through its
graph service (`python -m knowledge_graph.importers`), plays every conversation of
benchmarks/conversations/reliability.yml `--rounds` times on the REST channel (the first answers
load models and caches), and prints benchmarks/process_memory.py's table.

    .venv-services/bin/python -m tools.catalogue_generator --products 2600 --out /tmp/cat2600 --format csv
    .venv-services/bin/python -m benchmarks.stack_memory --import /tmp/cat2600 --rounds 1 --markdown
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import process_memory, shoppers
from benchmarks.stacks import started_stack

TARGET_MIB = 3e9 / 2**20  # issue 15: "≤ 3 GB RSS", read as 3·10⁹ bytes (2,861 MiB), the stricter reading


def import_catalogue(stack: Any, catalogue: Path) -> None:
    env = {**os.environ, **stack.env, "KG_URL": f"http://127.0.0.1:{stack.env['KG_PORT']}"}
    command = [sys.executable, "-m", "knowledge_graph.importers", str(catalogue)]
    imported = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    print(imported.stdout.strip().splitlines()[-1] if imported.stdout.strip() else imported.stderr[-500:])
    if imported.returncode != 0:
        raise SystemExit(f"the import failed (exit {imported.returncode})")


async def converse(stack: Any, rounds: int) -> tuple[int, int]:
    """(turns, failed turns) of `rounds` passes over the reliability script."""
    script = shoppers.load_conversations()
    rng = random.Random(42)
    turns = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=shoppers.TURN_TIMEOUT_S)) as http:
        for _ in range(rounds):
            for transcript in await shoppers.play_each_once(script, "rest", http, stack, rng):
                turns += transcript.turns
    return len(turns), sum(1 for t in turns if t.error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--import", dest="catalogue", type=Path, help="import this catalogue first")
    parser.add_argument("--rounds", type=int, default=1, help="passes over the conversation script (0: none)")
    parser.add_argument("--base-port", type=int, default=29000, help="the stack's ports")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the reports as JSON")
    args = parser.parse_args(argv)
    with started_stack("default", args.base_port) as stack:
        if args.catalogue:
            import_catalogue(stack, args.catalogue)
        if args.rounds:
            turns, failed = asyncio.run(converse(stack, args.rounds))
            print(f"{turns} turns in {args.rounds} round(s) of the conversation script, {failed} failed")
        reports = process_memory.measure_all(process_memory.read_pid_dir(stack.var / "run"))
    print(process_memory.render(reports, args.markdown))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=2), encoding="utf-8")
    whole = next((r for r in reports if r.name == "supervisor"), None)
    if whole is not None and whole.rss_mib is not None:
        verdict = "within" if whole.rss_mib <= TARGET_MIB else "OVER"
        print(f"whole stack: {whole.rss_mib:,.0f} MiB RSS ({verdict} the 3 GB target, {TARGET_MIB:,.0f} MiB)")
    return 1 if any(r.error for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
