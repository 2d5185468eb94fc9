"""The action server's request ids, metrics and JSON logs (actions/observability.py), on a real
`python -m actions.server` process: the plugin must be attached in the Sanic worker rasa-sdk spawns."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.actions.test_action_server import TOKEN, free_port, start

SCRAPER = "scraper-" + "m" * 30
REQUEST_ID = "chan-req-7f3a"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path_factory.mktemp("actions") / "server.log"
    with log.open("w") as output:
        process = start(port, output, ACTIONS_API_TOKEN=TOKEN, METRICS_TOKEN=SCRAPER, LOG_FORMAT="json")
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            pytest.fail(f"the action server did not start within 60 s:\n{log.read_text()}")
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def call(base: str) -> requests.Response:
    """Rasa's call for a message whose metadata carries the channel's request id (no such action here)."""
    tracker = {"sender_id": "x", "latest_message": {"text": "hi", "metadata": {"request_id": REQUEST_ID}}}
    body = {"next_action": "action_not_here", "sender_id": "x", "tracker": tracker, "domain": {}}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    return requests.post(base + "/webhook", data=json.dumps(body), headers=headers, timeout=10)


def test_the_messages_request_id_is_kept_and_logged_as_json(server: tuple[str, Path]) -> None:
    base, log = server
    answer = call(base)
    assert answer.status_code == 404  # rasa-sdk: no such action
    assert answer.headers["X-Request-ID"] == REQUEST_ID
    time.sleep(0.5)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line["request_id"] == REQUEST_ID and "action_not_here" in line["message"] for line in lines), lines


def test_metrics_count_the_webhook_for_the_scraper_only(server: tuple[str, Path]) -> None:
    base, _ = server
    call(base)
    assert requests.get(base + "/metrics", timeout=5).status_code == 401
    assert requests.get(base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 401
    scraped = requests.get(base + "/metrics", headers={"Authorization": f"Bearer {SCRAPER}"}, timeout=5)
    assert scraped.status_code == 200
    assert 'shop_http_requests_total{method="POST",route="/webhook",status="404"}' in scraped.text
    assert 'shop_action_duration_seconds_count{action="action_not_here"}' in scraped.text
    assert 'shop_handoff_outbox_depth{state="pending"}' in scraped.text
