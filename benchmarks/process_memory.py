"""Memory of the assistant's processes (RSS, and PSS/USS where the kernel gives them).

RSS counts shared pages (libraries, TensorFlow) in every process that maps them, so it
overstates the total; PSS splits shared pages between the processes and sums correctly;
USS is what stopping the process would free. All three are reported, in MiB, for each
process plus its children.

    python benchmarks/process_memory.py                       # pid files var/run/*.pid
    python benchmarks/process_memory.py --pids rasa=1234,actions=1240 --markdown

A throwaway stack after a catalogue import and some conversations: benchmarks/stack_memory.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PID_DIR = Path(os.environ.get("ASSISTANT_VAR", REPO_ROOT / "var")) / "run"
MIB = 1024 * 1024


@dataclass
class MemoryReport:
    """Memory of one named process tree."""

    name: str
    pid: int
    processes: int = 0
    rss_mib: float | None = None
    pss_mib: float | None = None
    uss_mib: float | None = None
    error: str | None = None


def parse_pids(spec: str) -> dict[str, int]:
    """Parse `name=pid,name=pid` into a mapping (order kept)."""
    pids: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, pid = item.partition("=")
        if not sep or not name or not pid.strip().isdigit():
            raise ValueError(f"expected name=pid, got {item!r}")
        pids[name.strip()] = int(pid)
    return pids


def read_pid_dir(pid_dir: Path) -> dict[str, int]:
    """Read `<name>.pid` files written by the launcher; unreadable files are skipped."""
    pids: dict[str, int] = {}
    for path in sorted(pid_dir.glob("*.pid")):
        text = path.read_text(encoding="utf-8").strip()
        if text.isdigit():
            pids[path.stem] = int(text)
    return pids


def _tree(pid: int, children: bool) -> list[psutil.Process]:
    """The process and (optionally) all its descendants."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)] if children else [root]


def measure(name: str, pid: int, children: bool = True) -> MemoryReport:
    """Sum RSS/PSS/USS over a process tree; PSS/USS stay None where not permitted."""
    report = MemoryReport(name=name, pid=pid)
    try:
        procs = _tree(pid, children)
    except psutil.Error as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        return report
    rss = 0
    pss: int | None = 0
    uss: int | None = 0
    counted = 0
    for proc in procs:
        try:
            full = proc.memory_full_info()
        except psutil.AccessDenied:
            try:
                rss += proc.memory_info().rss
            except psutil.Error:
                continue
            pss = uss = None
            counted += 1
            continue
        except psutil.NoSuchProcess:
            continue
        counted += 1
        rss += full.rss
        pss = None if pss is None or not hasattr(full, "pss") else pss + full.pss
        uss = None if uss is None or not hasattr(full, "uss") else uss + full.uss
    if counted == 0:
        report.error = "process vanished"
        return report
    report.processes = counted
    report.rss_mib = rss / MIB
    report.pss_mib = None if pss is None else pss / MIB
    report.uss_mib = None if uss is None else uss / MIB
    return report


def rss_mib(pid: int, children: bool = True) -> float | None:
    """Cheap RSS-only reading (no smaps walk) for periodic peak sampling."""
    try:
        return sum(p.memory_info().rss for p in _tree(pid, children)) / MIB
    except psutil.Error:
        return None


def cpu_seconds(pid: int, children: bool = True) -> float | None:
    """User + system CPU time of a process tree, to compare CPU cost per turn."""
    try:
        times = [p.cpu_times() for p in _tree(pid, children)]
    except psutil.Error:
        return None
    return sum(t.user + t.system for t in times)


def measure_all(pids: dict[str, int], children: bool = True) -> list[MemoryReport]:
    """Measure every named process."""
    return [measure(name, pid, children) for name, pid in pids.items()]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def render(reports: list[MemoryReport], markdown: bool = False) -> str:
    """A plain-text or Markdown table of the reports."""
    header = ["process", "pid", "procs", "RSS MiB", "PSS MiB", "USS MiB"]
    rows = [
        [
            r.name,
            str(r.pid),
            str(r.processes),
            _fmt(r.rss_mib),
            _fmt(r.pss_mib),
            _fmt(r.uss_mib),
        ]
        if r.error is None
        else [r.name, str(r.pid), "0", r.error, "", ""]
        for r in reports
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in [header, *rows])


def main(argv: list[str] | None = None) -> int:
    """CLI: print the memory of the processes named by pid files or `--pids`."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--pid-dir",
        type=Path,
        default=DEFAULT_PID_DIR,
        help="directory of <name>.pid files",
    )
    parser.add_argument("--pids", default=None, help="name=pid,... (instead of --pid-dir)")
    parser.add_argument("--no-children", action="store_true", help="do not add child processes")
    parser.add_argument("--json", type=Path, default=None, help="also write the reports as JSON")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    pids = parse_pids(args.pids) if args.pids else read_pid_dir(args.pid_dir)
    if not pids:
        print(f"no processes: no --pids and no *.pid in {args.pid_dir}", file=sys.stderr)
        return 1
    reports = measure_all(pids, children=not args.no_children)
    print(render(reports, args.markdown))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in reports], indent=2), encoding="utf-8")
    return 1 if any(r.error for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
