"""Export and erase of one shopper across every store (issue 14's target: each ≤ 2 s), on seeded stores.

Seeds `--shoppers` shoppers (default 20 000: 60 000 orders with lines, shipments, invoices and
audit entries, 180 000 recommendation rows, 20 000 tickets with 60 000 messages, 440 000 tracker
events in 60 000 conversations; tools/privacy_seed.py says what one shopper holds) into fresh SQLite
files, or into a throwaway PostgreSQL server (`--postgres`, five databases), then for `--samples`
shoppers spread over the store times: export by e-mail and phone, a dry run, the erasure, and the
export afterwards (which must find nothing). Prints the timings (median and maximum per step).

    .venv-services/bin/python -m benchmarks.privacy_requests
    .venv-services/bin/python -m benchmarks.privacy_requests --postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from contracts.privacy import Subject
from privacy.requests import DATABASES, Stores, SubjectRequests
from tools.privacy_seed import Shopper, seed

TARGET_S = 2.0


@contextmanager
def store_urls(postgres: bool, folder: Path) -> Iterator[dict[str, str]]:
    if not postgres:
        yield {name: f"sqlite+aiosqlite:///{folder / name}.sqlite" for name in DATABASES}
        return
    from tests.support.postgres import running_postgres  # the test suite's throwaway server

    with running_postgres() as server:
        yield {name: server.create_database(name) for name in DATABASES}


def open_stores(urls: dict[str, str], folder: Path) -> Stores:
    return Stores.from_urls(urls, folder / "mail-outbox")


async def measure(
    urls: dict[str, str], folder: Path, shoppers: int, samples: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall-clock seconds and this process's CPU seconds (all threads) per step and sample."""
    stores = open_stores(urls, folder)
    started = time.perf_counter()
    for first in range(1, shoppers + 1, 5000):  # in slices: bounded memory for the row dicts
        await seed(stores, [Shopper(i) for i in range(first, min(first + 5000, shoppers + 1))])
    print(f"seeded {shoppers} shoppers in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    requests = SubjectRequests(stores)
    timings: dict[str, list[float]] = {"export": [], "erase_dry_run": [], "erase": [], "export_after": []}
    cpu: dict[str, list[float]] = {step: [] for step in timings}
    for k in range(samples):
        shopper = Shopper(1 + (k * shoppers) // samples)
        subject = Subject.named(email=shopper.email, phone=shopper.phone)
        for step, call in (
            ("export", lambda subject=subject: requests.export(subject)),
            ("erase_dry_run", lambda subject=subject: requests.erase(subject, dry_run=True)),
            ("erase", lambda subject=subject: requests.erase(subject, dry_run=False)),
            ("export_after", lambda subject=subject: requests.export(subject)),
        ):
            began, began_cpu = time.perf_counter(), time.process_time()
            result = await call()
            timings[step].append(time.perf_counter() - began)
            cpu[step].append(time.process_time() - began_cpu)
            if step == "export":
                assert len(result["stores"]["tracker_store"]["conversations"]) == 3, "the seeded shopper was not found"
            if step == "export_after":
                left = json.dumps(result["stores"])
                assert all(value not in left for value in shopper.personal_values), "erase left personal data"
    await requests.aclose()
    return timings, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL server instead of SQLite")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="privacy-bench-") as folder,
        store_urls(args.postgres, Path(folder)) as urls,
    ):
        timings, cpu = asyncio.run(measure(urls, Path(folder), args.shoppers, args.samples))
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{store}, {args.shoppers} shoppers, {args.samples} shoppers asked about (target ≤ {TARGET_S:.0f} s each)")
    print(f"{'step':<14} {'median s':>9} {'max s':>7} {'median CPU s':>13}")
    for step, values in timings.items():
        print(f"{step:<14} {statistics.median(values):>9.3f} {max(values):>7.3f} {statistics.median(cpu[step]):>13.3f}")
    print(f"load average when done: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    worst = max(max(timings["export"]), max(timings["erase"]))
    print(f"worst export or erase: {worst:.3f} s ({'within' if worst <= TARGET_S else 'OVER'} the target)")


if __name__ == "__main__":
    main()
