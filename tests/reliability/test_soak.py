"""A short soak (CI size) of the documented load test: 10 shoppers on three channels for 45 s.

benchmarks/soak.py runs the full size (100 shoppers for 10 minutes) and prints the figures of
docs/reliability.md."""

from __future__ import annotations

from benchmarks import soak
from tests.e2e.conftest import Stack


async def test_ten_shoppers_for_45_s_lose_duplicate_and_reorder_nothing(reliability_stack: Stack) -> None:
    report = await soak.soak(reliability_stack, n_shoppers=10, duration_s=45, think_mean_s=1.0, rss_interval_s=3)
    print(soak.markdown(report))
    assert report.conversations >= 20 and report.turns >= 60, "the load ran"
    assert report.failed_turns == 0, report.failures[:5]
    assert report.tracker_check.get("user_lost") == 0 and report.tracker_check.get("bot_lost") == 0, report.problems[:5]
    assert report.messages_lost_duplicated_or_reordered == 0, report.problems[:5]
    assert {"rest", "socketio", "app"} <= {c for c, s in report.latency_ms.items() if s["turns"]}
    assert not any(report.restarts.values()), f"processes restarted under load: {report.restarts}"
    assert len(report.rss) >= 10, f"RSS of every process sampled: {sorted(report.rss)}"
