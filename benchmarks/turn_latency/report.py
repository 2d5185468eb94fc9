"""The side-by-side table of the targets (plain text or Markdown) and the one-line description of a run."""

from __future__ import annotations

import math
from typing import Any

from benchmarks.turn_latency.measurement import (
    BACKEND_P95_TARGET_MS,
    Options,
)


def _ms(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}"


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _level_cell(level: dict[str, Any]) -> str:
    """`turns/s (p95)` of one saturation level, with failures if any."""
    cell = f"{level['turns_per_s']:.1f} ({_ms(level['p95'])})"
    return cell + (f" {level['failed']} failed" if level["failed"] else "")


def _best_cell(level: dict[str, Any] | None) -> str:
    """`turns/s @N (p95)` of a chosen saturation level."""
    if level is None:
        return "-"
    return f"{level['turns_per_s']:.1f} @{level['clients']} ({_ms(level['p95'])})"


def table_rows(reports: list[dict[str, Any]], opts: Options) -> list[list[str]]:
    """Rows of the side-by-side table: a label, then one cell per target."""
    rows: list[list[str]] = []

    def row(label: str, cells: list[str]) -> None:
        rows.append([label, *cells])

    p = [r["poisson"] for r in reports]
    row(
        "conversations (failed)",
        [f"{x['conversations']} ({x['conversations_failed']})" for x in p],
    )
    row("turns measured (failed)", [f"{x['turns']} ({x['turns_failed']})" for x in p])
    for q in ("p50", "p95", "p99", "max"):
        row(f"all turns {q} ms", [_ms(x["all"][q]) for x in p])
    row(
        "backend turns (failed)",
        [f"{x['backend']['n']} ({x['backend_turns_failed']})" for x in p],
    )
    for q in ("p50", "p95", "p99", "max"):
        row(f"backend turns {q} ms", [_ms(x["backend"][q]) for x in p])
    row(
        f"backend p95 <= {BACKEND_P95_TARGET_MS:.0f} ms",
        [
            "-" if not x["backend"]["n"] else ("yes" if x["backend"]["p95"] <= BACKEND_P95_TARGET_MS else "NO")
            for x in p
        ],
    )
    if opts.saturation:
        for i, n in enumerate(opts.saturation_levels):
            row(
                f"saturation N={n}: turns/s (p95 ms)",
                [_level_cell(r["saturation"]["levels"][i]) for r in reports],
            )
        row(
            "saturation best: turns/s @N (p95 ms)",
            [_best_cell(r["saturation"]["best"]) for r in reports],
        )
        row(
            f"best with p95 <= {BACKEND_P95_TARGET_MS:.0f} ms: turns/s @N (p95 ms)",
            [_best_cell(r["saturation"]["best_within_target"]) for r in reports],
        )
    row(
        "load average 1 min (start -> end)",
        [f"{r['loadavg_1min'][0]:.2f} -> {r['loadavg_1min'][1]:.2f}" for r in reports],
    )
    names = list(dict.fromkeys(m["name"] for r in reports for m in r["memory_end"]))
    for name in names:
        row(
            f"{name}: CPU ms per turn (Poisson run)",
            [_ms(r["cpu_ms_per_turn"].get(name)) for r in reports],
        )
    for name in names:
        cells = []
        for r in reports:
            m = next((m for m in r["memory_end"] if m["name"] == name), None)
            if m is None:
                cells.append("")
            elif m["error"]:
                cells.append(m["error"])
            else:
                peak = r["memory_peak_rss_mib"].get(name)
                cells.append(f"{_mib(m['rss_mib'])} / {_mib(m['pss_mib'])} / {_mib(m['uss_mib'])} (peak {_mib(peak)})")
        row(f"{name}: RSS/PSS/USS MiB (peak RSS)", cells)
    return rows


def render_table(reports: list[dict[str, Any]], opts: Options, markdown: bool) -> str:
    """The side-by-side table as plain text or Markdown."""
    header = ["metric", *(r["target"] for r in reports)]
    rows = table_rows(reports, opts)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * len(reports)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=False)]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=False)))
        for r in [header, *rows]
    )


def describe(opts: Options) -> str:
    """One line saying how the numbers were produced."""
    text = (
        f"Poisson run: {opts.conversations} conversations x {opts.rounds} round(s), arrivals over "
        f"{opts.arrival_window:g} s, think time exp(mean {opts.think_mean:g} s), seed {opts.seed}, "
        f"warm-up {opts.warmup} pass(es) excluded"
    )
    if opts.saturation:
        levels = ",".join(map(str, opts.saturation_levels))
        text += f"; saturation: closed loop, N={levels}, {opts.saturation_duration:g} s each"
    return text
