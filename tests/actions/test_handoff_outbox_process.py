"""The real action server process (`python -m actions.server`, as the launcher starts it) delivers
hand-offs queued before it started, without anyone asking for a person again: the outbox's retry
loop starts with the server (rasa_sdk_plugins registers it on every worker's app)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from actions.handoff_outbox import HandoffOutbox
from tests.actions.test_handoff_actions import FakeDesk
from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[2]


async def test_queued_hand_offs_go_out_after_a_restart_without_a_new_hand_off(aiohttp_server, tmp_path: Path) -> None:
    HandoffOutbox(tmp_path / "handoff-outbox.sqlite").put({"conversation_id": "queued-before-the-restart"})
    desk = FakeDesk()
    server = await aiohttp_server(desk.app())
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "ASSISTANT_VAR": str(tmp_path),
        "ACTIONS_API_TOKEN": "actions-token-" + "a" * 40,
        "HANDOFF_URL": str(server.make_url("")).rstrip("/"),
        "HANDOFF_API_TOKEN": "desk-token",
        "HANDOFF_OUTBOX_RETRY_S": "0.5",
    }
    port = free_port()
    command = [sys.executable, "-m", "actions.server", "--actions", "actions", "--port", str(port)]
    log = (tmp_path / "actions.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not desk.requests and time.monotonic() < deadline and process.poll() is None:
            await asyncio.sleep(0.2)
        output = (tmp_path / "actions.log").read_text(errors="replace")[-3000:]
        assert [r["conversation_id"] for r in desk.requests] == ["queued-before-the-restart"], output
        assert HandoffOutbox(tmp_path / "handoff-outbox.sqlite").pending() == []
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
