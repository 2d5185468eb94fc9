"""The stack a benchmark measures: a throwaway one started through the launcher (as the end-to-end tests
start it, tests/e2e/conftest.py), or one already running (`launcher start`), found by its var/."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def started_stack(
    kind: str, base_port: int, var_size: str | None = None, env: dict[str, str] | None = None
) -> Iterator[Any]:
    """A throwaway stack through the launcher, as the end-to-end tests start it (tests/e2e/conftest.py).
    `var_size` (e.g. "512M"): its state directory on a filesystem of that size (a tmpfs; needs root),
    so that the disk can be filled. `env`: more variables for the stack's processes."""
    import os
    import tempfile

    os.environ["E2E_BASE_PORT"] = str(base_port)
    from tests.e2e import conftest

    conftest.BASE_PORT = base_port
    with ExitStack() as resources:
        var = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix=f"soak-{kind}-")))
        if var_size:
            resources.enter_context(small_filesystem(var, var_size))
        extra: dict[str, str] = dict(env or {})
        servers: dict[str, Any] = {}  # the stores' servers, for the faults benchmark to kill and start
        if kind == "postgres":
            from tests.support.postgres import running_postgres
            from tests.support.redis import running_redis

            pg = resources.enter_context(running_postgres())
            redis = resources.enter_context(running_redis())
            extra |= {**conftest.production_stores(pg, redis), "ORDERS_DB_URL": pg.create_database("orders")}
            servers = {"postgres": pg, "redis": redis}
        stack = conftest.start_stack(var, conftest.stack_env(var, port_offset=0, **extra))
        stack.servers = servers
        resources.callback(stack.launcher, "stop")
        yield stack


@contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[None]:
    """A tmpfs of `size` mounted on `path` for the block (mounting needs root)."""
    import subprocess

    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        raise SystemExit(f"could not mount a {size} tmpfs on {path} (root is needed): {mounted.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=False)


def attached_stack(var: Path, rasa_url: str | None) -> Any:
    """A stack started with `launcher start`: secrets, demo orders and pid files from its var/."""
    from tests.e2e.conftest import Stack

    secrets = dict(
        line.split("=", 1) for line in (var / "secrets.env").read_text().splitlines() if "=" in line and line[0] != "#"
    )
    demo = json.loads((var / "demo-orders.json").read_text())
    port = rasa_url.rsplit(":", 1)[1] if rasa_url else "5005"
    env = {"RASA_PORT": port, **secrets}
    return Stack(var=var.resolve(), env=env, secrets=secrets, demo_orders=demo.get("statuses", {}))


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    """Where the stack under test is: started by the command, or already running (soak and faults)."""
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--start", choices=["default", "postgres"], help="start a throwaway stack with these stores")
    where.add_argument("--var", type=Path, help="state directory of a running stack")
    parser.add_argument("--rasa-url", help="with --var: Rasa's address (default http://127.0.0.1:5005)")
    parser.add_argument("--base-port", type=int, default=29000, help="with --start: ports base+5 … base+107")
