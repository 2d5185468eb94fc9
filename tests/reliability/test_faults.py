"""Crashes in the middle of a conversation (CI size): the shopper hears at once, the supervisor restarts
the process, the conversation goes on and nothing is lost; a frozen or slow backend costs at most its
timeout. benchmarks/faults.py runs every process."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import faults
from tests.e2e.conftest import Stack


@pytest.mark.parametrize("process", ["actions", "orders"])
async def test_kill_9_mid_conversation_gets_a_clear_answer_within_2_s_and_the_process_back(
    reliability_stack: Stack, process: str
) -> None:
    result = await faults.run_fault(reliability_stack, faults.FAULTS[process])
    print(faults.markdown([result]))
    assert result.clear, result.answer
    assert result.answer_ms <= 2000, f"the shopper waited {result.answer_ms:.0f} ms"
    assert result.restart_s is not None, "the supervisor did not bring it back"
    assert result.continued, "the next turns did not work after the restart"
    assert not any(result.tracker.values()), result.notes


async def test_a_frozen_order_backend_costs_the_shopper_at_most_its_timeout(reliability_stack: Stack) -> None:
    result = await faults.run_fault(reliability_stack, faults.FAULTS["orders"], faults.FREEZE)
    print(faults.markdown([result]))
    assert result.clear, result.answer
    # ORDERS_TIMEOUT_S (2 s) plus the turn itself.
    assert result.answer_ms <= 3000, f"the shopper waited {result.answer_ms:.0f} ms"
    assert result.continued and not any(result.tracker.values()), result.notes


@pytest.mark.parametrize("share", faults.SLOW_SHARES)
async def test_a_slow_order_backend_answers_in_time_or_clearly(reliability_stack: Stack, share: float) -> None:
    """Slow, not frozen: the backend runs `share` of the time. The shopper gets the order or the clear
    "can't reach our order system" within the same bound as a frozen backend, and nothing is lost."""
    result = await faults.run_fault(reliability_stack, faults.FAULTS["orders"], faults.SLOW, share)
    print(faults.markdown([result]))
    assert result.clear, result.answer
    assert result.answer_ms <= 3000, f"the shopper waited {result.answer_ms:.0f} ms"
    assert result.continued and not any(result.tracker.values()), result.notes


def test_filling_up_stops_where_the_filesystem_says_it_is_full() -> None:
    """/dev/full answers every write with ENOSPC, as a full filesystem does (benchmarks/faults.py
    --full-disk fills a small tmpfs under a running stack this way)."""
    assert faults.fill_up(Path("/dev/full")) == 0
