"""One Rasa worker against two, side by side in one run, on the same stores (PostgreSQL + Redis).

    .venv-services/bin/python -m benchmarks.rasa_workers [--base-port 29000] [--levels 1,2,4,8,16,32]

Starts a throwaway PostgreSQL and Redis, then two stacks on them at once, each with its own tracker
and orders database: one with `ASSISTANT_RASA_WORKERS=1`, one with 2 (HAProxy in front,
docs/scaling.md). `benchmarks.turn_latency` then measures both targets in one invocation, one after
the other while the other stack idles: the Poisson run (latency, CPU per turn by process) and the
closed-loop saturation over the client counts of `--levels` (turns/s). The REST shoppers of the shop
script reach the workers through the balancer, which spreads them by least connections.

Hand-offs are not compared here: `benchmarks/handoff_latency.py` drives socket.io shoppers, which the
balancer keeps on one worker per client address, so from one test machine they all meet on one
worker (docs/scaling.md, "Stickiness").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "benchmarks" / "conversations" / "shop.yml"
WORKERS = (1, 2)
PORT_OFFSETS = {1: 0, 2: 500}  # the two stacks' ports, from --base-port (tests/e2e/conftest.py)


def turn_latency_command(stacks: dict[str, Any], orders: Path, args: argparse.Namespace) -> list[str]:
    """One turn_latency run over both stacks (tests/e2e/conftest.py's `Stack`)."""
    command = [sys.executable, "-m", "benchmarks.turn_latency", "--orders", str(orders), "--markdown"]
    for name, stack in stacks.items():
        target = ["--target", f"{name}={stack.rasa_url}", "--script", f"{name}={SCRIPT}"]
        command += [*target, "--pid-dir", f"{name}={stack.var}/run"]
    command += ["--saturation", "--saturation-levels", args.levels, "--saturation-duration", str(args.duration)]
    if args.json:
        command += ["--json", str(args.json)]
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-port", type=int, default=29000)
    parser.add_argument("--levels", default="1,2,4,8,16,32", help="closed-loop client counts")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per saturation level")
    parser.add_argument("--json", type=Path, help="turn_latency's full report")
    args = parser.parse_args(argv)

    os.environ["E2E_BASE_PORT"] = str(args.base_port)
    sys.path.insert(0, str(REPO_ROOT))
    from tests.e2e import conftest
    from tests.support.postgres import running_postgres
    from tests.support.redis import running_redis

    conftest.BASE_PORT = args.base_port
    with ExitStack() as resources:
        pg = resources.enter_context(running_postgres())
        redis = resources.enter_context(running_redis())
        stacks: dict[str, Any] = {}
        for workers in WORKERS:
            var = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix=f"workers-{workers}-")))
            env = conftest.stack_env(
                var,
                port_offset=PORT_OFFSETS[workers],
                **conftest.production_stores(pg, redis),
                ORDERS_DB_URL=pg.create_database("orders"),
                ASSISTANT_RASA_WORKERS=str(workers),
            )
            stack = conftest.start_stack(var, env)
            resources.callback(stack.launcher, "stop")
            stacks[f"{workers}-worker{'s' if workers > 1 else ''}"] = stack
        orders = [stack.var / "demo-orders.json" for stack in stacks.values()]
        if len({path.read_text() for path in orders}) != 1:
            raise SystemExit("the two stacks' demo orders differ: the shop script needs the same orders in both")
        return subprocess.run(turn_latency_command(stacks, orders[0], args), check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
