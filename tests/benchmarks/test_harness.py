"""Unit tests of the benchmark harness's own logic (no Rasa, no network)."""

from __future__ import annotations

import itertools
import math
import random
import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import process_memory
from benchmarks.turn_latency.measurement import best_level, summarise
from benchmarks.turn_latency.runner import TurnResult, check_reply
from benchmarks.turn_latency.scenario import (
    Conversation,
    Script,
    Turn,
    fill_placeholders,
    materialise,
    orders_by_status,
    parse_script,
    pick_order,
    plan_conversations,
)
from benchmarks.turn_latency.stats import percentile, poisson_arrivals, think_time

ORDER = {
    "order_number": "104532",
    "email": "jane@example.com",
    "postcode": "94107",
    "customer_id": "c-17",
}


def test_percentile_matches_linear_interpolation() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0  # unsorted input
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_poisson_arrivals_are_seeded_sorted_and_inside_window() -> None:
    a = poisson_arrivals(20, 10.0, random.Random(1))
    assert a == poisson_arrivals(20, 10.0, random.Random(1))
    assert a != poisson_arrivals(20, 10.0, random.Random(2))
    assert a == sorted(a)
    assert all(0.0 <= t <= 10.0 for t in a)
    assert poisson_arrivals(3, 0.0, random.Random(1)) == [0.0, 0.0, 0.0]


def test_poisson_gaps_have_the_right_mean() -> None:
    arrivals = poisson_arrivals(20_000, 1000.0, random.Random(7))
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert statistics.fmean(gaps) == pytest.approx(1000.0 / 20_000, rel=0.05)
    # Exponential gaps: standard deviation close to the mean.
    assert statistics.pstdev(gaps) == pytest.approx(statistics.fmean(gaps), rel=0.1)


def test_think_time_is_exponential_with_the_given_mean() -> None:
    rng = random.Random(3)
    samples = [think_time(1.0, rng) for _ in range(20_000)]
    assert statistics.fmean(samples) == pytest.approx(1.0, rel=0.05)
    assert min(samples) >= 0.0
    assert think_time(0.0, rng) == 0.0
    again = random.Random(3)
    assert [think_time(1.0, again) for _ in range(5)] == samples[:5]


def test_fill_placeholders() -> None:
    text = "order {order.number} for {order.email}, ZIP {order.postcode}"
    assert fill_placeholders(text, ORDER) == ("order 104532 for jane@example.com, ZIP 94107")
    assert fill_placeholders("#{order.order_number}", ORDER) == "#104532"
    assert fill_placeholders("no placeholders {x}", None) == "no placeholders {x}"
    with pytest.raises(KeyError):
        fill_placeholders("{order.phone}", ORDER)
    with pytest.raises(LookupError):
        fill_placeholders("{order.number}", None)


def test_pick_order_by_status() -> None:
    orders = {"shipped": [ORDER], "delivered": [dict(ORDER, order_number="200001")]}
    rng = random.Random(0)
    assert pick_order(orders, "delivered", rng)["order_number"] == "200001"
    assert pick_order(orders, None, rng) in orders["shipped"] + orders["delivered"]
    with pytest.raises(LookupError, match="shipped"):
        pick_order(orders, "lost", rng)


def test_parse_script_and_materialise() -> None:
    script = parse_script(
        {
            "name": "shop",
            "conversations": [
                {
                    "name": "track",
                    "order_status": "shipped",
                    "weight": 2,
                    "turns": [
                        {"user": "where is my order?"},
                        {"user": "{order.number}", "expect": ["email", "ZIP"]},
                        {
                            "user": "{order.email}",
                            "expect": "{order.number}",
                            "calls_backend": True,
                        },
                    ],
                },
                {"name": "hi", "turns": [{"user": "hi", "expect": "Hey"}]},
            ],
        }
    )
    track, hi = script.conversations
    assert track.needs_order() and not hi.needs_order()
    assert track.weight == 2 and hi.weight == 1
    filled = materialise(track, ORDER)
    assert filled.turns[1] == Turn("104532", ("email", "ZIP"), False)
    assert filled.turns[2] == Turn("jane@example.com", ("104532",), True)


def test_parse_script_rejects_yaml_booleans() -> None:
    with pytest.raises(TypeError, match="quote"):
        parse_script({"conversations": [{"turns": [{"user": True}]}]})


def test_plan_follows_weights() -> None:
    a = Conversation("a", (Turn("x"),), weight=3)
    b = Conversation("b", (Turn("y"),), weight=1)
    script = Script("s", (a, b))
    plan = plan_conversations(script, 20, random.Random(5))
    assert [c.name for c in plan].count("a") == 15
    assert plan == plan_conversations(script, 20, random.Random(5))


def test_check_reply() -> None:
    assert check_reply([], ()) == "empty reply"
    assert check_reply(None, ()) == "empty reply"
    assert check_reply([{"image": "x.jpg"}], ()) is None
    reply = [{"text": "Your order 104532 is on its way."}]
    assert check_reply(reply, ("104532",)) is None
    assert check_reply(reply, ("nope", "ON ITS WAY")) is None  # any, case-insensitive
    assert "expected" in (check_reply(reply, ("999999",)) or "")


def test_summarise_separates_backend_turns_and_excludes_failures() -> None:
    def result(sender: str, ms: float, backend: bool, ok: bool = True):
        return TurnResult("t", "poisson-0", "c", sender, 0, backend, ms, ok, None if ok else "x")

    results = [
        result("s1", 10.0, False),
        result("s1", 100.0, True),
        result("s2", 20.0, False),
        result("s2", 999.0, True, ok=False),
        TurnResult("t", "warmup", "c", "w", 0, False, 5000.0, True),
    ]
    summary = summarise(results)
    assert summary["conversations"] == 2 and summary["conversations_failed"] == 1
    assert summary["turns"] == 4 and summary["turns_failed"] == 1
    assert summary["all"]["n"] == 3 and summary["all"]["max"] == 100.0
    assert summary["backend"]["n"] == 1 and summary["backend"]["p95"] == 100.0
    assert summary["backend_turns_failed"] == 1


def test_parse_pids_and_pid_dir(tmp_path: Path) -> None:
    assert process_memory.parse_pids("rasa=12, actions=34") == {
        "rasa": 12,
        "actions": 34,
    }
    with pytest.raises(ValueError):
        process_memory.parse_pids("rasa:12")
    (tmp_path / "rasa.pid").write_text("123\n")
    (tmp_path / "orders.pid").write_text("456")
    (tmp_path / "broken.pid").write_text("")
    assert process_memory.read_pid_dir(tmp_path) == {"orders": 456, "rasa": 123}


def test_measure_own_process() -> None:
    import os

    report = process_memory.measure("self", os.getpid())
    assert report.error is None and report.rss_mib and report.rss_mib > 1
    missing = process_memory.measure("gone", 2**22 + 12345)
    assert missing.error is not None


def test_best_level_with_and_without_p95_limit() -> None:
    levels = [
        {"clients": 1, "turns_per_s": 40.0, "p95": 30.0},
        {"clients": 4, "turns_per_s": 45.0, "p95": 160.0},
        {"clients": 8, "turns_per_s": 0.0, "p95": math.nan},
    ]
    assert best_level(levels)["clients"] == 4
    assert best_level(levels, 150.0)["clients"] == 1
    assert best_level(levels[1:], 150.0) is None


def test_orders_by_status_reads_the_seed_index_and_plain_maps() -> None:
    seed_index = {"statuses": {"shipped": [ORDER], "packed": []}, "scenarios": {"late": [ORDER]}}
    assert orders_by_status(seed_index) == {"shipped": [ORDER], "packed": []}
    assert orders_by_status({"shipped": [ORDER]}) == {"shipped": [ORDER]}
    with pytest.raises(TypeError):
        orders_by_status([ORDER])
