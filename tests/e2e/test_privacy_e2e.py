"""A data-subject request on the running stack: an app shopper's conversation, stored by Rasa in the
stack's tracker store, is found by `python -m privacy` and erased through the desk's privacy API
(the desk as the launcher starts it, `python -m privacy.desk`); Rasa then holds nothing of it.

The shopper is made up (no demo orders), so the other end-to-end tests' demo data stays as it is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.test_channels_app import app_token, send, tracker

REPO = Path(__file__).resolve().parents[2]
CUSTOMER = "e2e-privacy-shopper"


def privacy_command(stack: Any, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "privacy", *args],
        cwd=REPO,
        env={**stack.env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_app_conversation_is_exported_and_erased(stack: Any) -> None:
    status, replies = await send(stack, "where is my order?", app_token(stack, CUSTOMER))
    assert status == 200, replies
    sender_id = replies[0]["recipient_id"]

    exported = privacy_command(stack, "export", "--customer-id", CUSTOMER)
    found = {c["conversation_id"]: c for c in exported["stores"]["tracker_store"]["conversations"]}
    assert list(found) == [sender_id]
    assert found[sender_id]["matched_by"] == ["app channel customer id"]
    assert [e["text"] for e in found[sender_id]["events"] if e["event"] == "user"] == ["where is my order?"]

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # the desk is an IP
        login = {"name": "admin", "password": stack.secrets["HANDOFF_ADMIN_PASSWORD"]}
        async with http.post(stack.desk_url + "/desk/api/login", json=login) as response:
            assert response.status == 200, await response.text()
        erase = {"customer_id": CUSTOMER}
        async with http.post(stack.desk_url + "/desk/api/privacy/erase", json=erase) as response:
            assert response.status == 200, await response.text()
            report = await response.json()
    assert report["stores"]["tracker_store"]["deleted"]["events"] >= 2

    assert [e for e in (await tracker(stack, sender_id))["events"] if e["event"] == "user"] == []
    after = privacy_command(stack, "export", "--customer-id", CUSTOMER)
    assert after["stores"]["tracker_store"]["conversations"] == []
    assert CUSTOMER not in json.dumps(after["stores"])
