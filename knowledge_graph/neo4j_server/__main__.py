"""CLI: `build` the server once, or `run` it in the foreground until Ctrl-C.

python -m knowledge_graph.neo4j_server build
python -m knowledge_graph.neo4j_server run --port 7687 --data-dir var/neo4j
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from knowledge_graph.neo4j_server import launcher


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m knowledge_graph.neo4j_server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="compile the server into the cache (first time: downloads Neo4j)")
    run = commands.add_parser("run", help="run Neo4j on 127.0.0.1 in the foreground (Ctrl-C stops)")
    run.add_argument("--port", type=int, default=7687, help="Bolt port (default 7687)")
    run.add_argument("--data-dir", type=Path, default=Path("var/neo4j"), help="database directory (kept)")
    run.add_argument("--log-file", type=Path, help="server output (default: <data-dir>/dev-server.log)")
    run.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for readiness")
    return parser.parse_args(argv)


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP act like Ctrl-C: the server runs in its own session and would otherwise outlive us."""
    raise KeyboardInterrupt


def run(port: int, data_dir: Path, log_file: Path, timeout_s: float) -> int:
    """Foreground run: the process exits when the server does, or stops it cleanly on Ctrl-C."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    started = time.monotonic()
    proc = launcher.start(port, data_dir, log_file, timeout_s)
    print(f"Neo4j ready on bolt://127.0.0.1:{port} in {time.monotonic() - started:.1f} s (no auth, loopback only)")
    print(f"data: {data_dir.resolve()}  log: {log_file.resolve()}  Ctrl-C stops", flush=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        print("stopping Neo4j ...", flush=True)
        launcher.stop(proc)
        return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "build":
            print(launcher.build())
            return 0
        return run(args.port, args.data_dir, args.log_file or args.data_dir / "dev-server.log", args.timeout)
    except (launcher.MissingTool, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
