"""Time the first setup on a fresh clone and a re-run with nothing changed.

    python3 benchmarks/setup_time.py [--keep-pip-cache]

Clones the repository's HEAD into a temporary directory with an empty venv cache
(SHOP_ASSISTANT_CACHE) and runs `bot/launcher.py setup` twice: the first run builds the venvs,
installs the widget, trains and seeds; the second should only check fingerprints. pip's own
download cache is kept (as on a developer's machine or in CI), so the first number is build time,
not download time. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    with tempfile.TemporaryDirectory(prefix="setup-bench-") as tmp:
        clone, cache = Path(tmp) / "clone", Path(tmp) / "cache"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        shared = REPO.parent / "shared"
        if shared.exists():
            (Path(tmp) / "shared").symlink_to(shared)
        env = {k: v for k, v in os.environ.items() if k not in ("ASSISTANT_VAR", "ASSISTANT_MODEL")}
        env["SHOP_ASSISTANT_CACHE"] = str(cache)
        setup = [sys.executable, "bot/launcher.py", "setup"]
        first = timed(setup, clone, env)
        again = timed(setup, clone, env)
    print("| setup | seconds |\n|---|---:|")
    print(f"| first run on a fresh clone (venvs built, widget installed, model trained, data seeded) | {first:.0f} |")
    print(f"| re-run, nothing changed | {again:.1f} |")


if __name__ == "__main__":
    main()
