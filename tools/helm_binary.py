"""Build `helm` from its Go module once per version: `python3 -m tools.helm_binary` prints its path.

The chart checks (`tests/deploy/`) run `helm lint` and `helm template` offline. No release binary can
be downloaded on the project's machines, but the Go module proxy serves helm's source, so
`go install helm.sh/helm/v4/cmd/helm@HELM_VERSION` builds it (about 6 minutes on 2 busy cores the
first time, docs/scaling.md). The binary is kept in the cache beside the venvs
(`~/.cache/shop-assistant/helm/<version>/helm`, `SHOP_ASSISTANT_CACHE`), not in the checkout: CI runs
in a fresh clone, and only a version bump here builds it again. Go's own module and build caches are
removed after a build (about 1 GB). Standard library only: `tests/run_all.py` runs it before any venv.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# The venvs' cache folder (SHOP_ASSISTANT_CACHE). bot/ holds the launcher's stdlib scripts, outside
# mypy's files: imported by name so that the type check stays on this module.
CACHE = Path(importlib.import_module("bot.environments").CACHE)

HELM_MODULE = "helm.sh/helm/v4/cmd/helm"
HELM_VERSION = "v4.3.2"
# Where Go is installed on the project's machines when it is not on PATH.
GO_FALLBACK = Path("/usr/local/go/bin/go")


def helm_dir(version: str = HELM_VERSION) -> Path:
    return CACHE / "helm" / version


def find_go() -> str:
    go = shutil.which("go") or (str(GO_FALLBACK) if GO_FALLBACK.exists() else None)
    if go is None:
        raise SystemExit("building helm needs the Go toolchain (`go` on PATH or /usr/local/go/bin/go)")
    return go


def ensure_helm(version: str = HELM_VERSION) -> Path:
    """The helm binary of `version`, built first if the cache has no finished build of it.

    A build goes to a `.building` sibling and is renamed when `helm version` answered, so an
    interrupted build is never taken for a good one."""
    target = helm_dir(version)
    binary = target / "helm"
    if binary.exists():
        return binary
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    (building / "bin").mkdir(parents=True)
    go_env = {
        **os.environ,
        "GOBIN": str(building / "bin"),
        "GOPATH": str(building / "go"),
        "GOCACHE": str(building / "go-build"),
        "GOFLAGS": "-modcacherw",  # lets the module cache be deleted afterwards
        "CGO_ENABLED": "0",
    }
    print(f"[helm] building {HELM_MODULE}@{version} from the Go module proxy (minutes, once)", flush=True)
    started = time.monotonic()
    subprocess.run(
        [find_go(), "install", "-trimpath", "-ldflags", "-s -w", f"{HELM_MODULE}@{version}"],
        env=go_env,
        cwd=building,
        check=True,
    )
    subprocess.run([str(building / "bin" / "helm"), "version", "--short"], check=True)
    shutil.rmtree(building / "go", ignore_errors=True)
    shutil.rmtree(building / "go-build", ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    (building / "bin" / "helm").rename(building / "helm")
    (building / "bin").rmdir()
    building.rename(target)
    print(f"[helm] built in {time.monotonic() - started:.0f} s: {binary}", flush=True)
    return binary


if __name__ == "__main__":
    print(ensure_helm())
    sys.exit(0)
