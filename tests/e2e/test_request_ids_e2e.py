"""One shopper message, one request id, followed through the real stack's JSON logs; no personal
data in clear in any log; and /metrics of a backend for the scraper only.

Its own stack (port offset 1100, LOG_FORMAT=json): the channel takes the client's X-Request-ID,
Rasa stores it with the message, the action server takes it from the tracker and sends it to the
orders backend, whose access log line carries it (docs/operations.md#metrics-request-ids-and-log-lines).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import Stack, stack_env, start_stack
from tests.e2e.conversation import Conversation

REQUEST_ID = "e2e-shopper-msg-4711"


@pytest.fixture(scope="module")
def json_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("json-logs-stack")
    started = start_stack(var, stack_env(var, port_offset=1100, LOG_FORMAT="json"))
    yield started
    started.launcher("stop")


def json_lines(log: Path) -> list[dict]:
    lines = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def lines_with_id(stack: Stack, pattern: str) -> list[dict]:
    return [
        line
        for log in (stack.var / "logs").glob(pattern)
        for line in json_lines(log)
        if line["request_id"] == REQUEST_ID
    ]


def test_one_message_carries_one_id_through_channel_action_and_backend(json_stack: Stack) -> None:
    order = json_stack.order("shipped")
    chat = Conversation(json_stack.rasa_url)
    chat.say("where is my order?")
    chat.say(order["order_number"])
    chat.headers = {"X-Request-ID": REQUEST_ID}
    answer = chat.say(order["email"])  # the proof: the action server asks the orders backend
    assert order["order_number"] in answer
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not lines_with_id(json_stack, "orders.log"):
        time.sleep(0.2)  # log lines are flushed per line, but the backend answers before it logs
    channel = lines_with_id(json_stack, "rasa*.log")
    action = lines_with_id(json_stack, "actions.log")
    backend = lines_with_id(json_stack, "orders.log")
    assert any(line["logger"] == "channels.guard" for line in channel), channel
    assert any("/webhook" in line["message"] for line in action), action
    assert any(f"/orders/{order['order_number']}" in line["message"] for line in backend), backend
    for log in (json_stack.var / "logs").glob("*.log"):
        assert order["email"] not in log.read_text(encoding="utf-8", errors="replace"), f"{log.name} has the e-mail"


def test_backend_metrics_for_the_scraper_only(json_stack: Stack) -> None:
    url = f"http://127.0.0.1:{json_stack.env['ORDERS_PORT']}/metrics"
    assert requests.get(url, timeout=5).status_code == 401
    api = {"Authorization": f"Bearer {json_stack.secrets['ORDERS_API_TOKEN']}"}
    assert requests.get(url, headers=api, timeout=5).status_code == 401
    scraper = {"Authorization": f"Bearer {json_stack.secrets['METRICS_TOKEN']}"}
    scraped = requests.get(url, headers=scraper, timeout=5)
    assert scraped.status_code == 200
    assert 'shop_http_requests_total{method="POST",route="/orders/{order_number}/verify",status="200"}' in scraped.text
    assert "orders_proofs_verified_total" in scraped.text  # the backend's own counters beside them


def test_rasa_server_metrics_count_turns_by_channel_for_the_scraper_only(json_stack: Stack) -> None:
    url = json_stack.rasa_url + "/metrics"
    assert requests.get(url, timeout=5).status_code == 401
    api = {"Authorization": f"Bearer {json_stack.secrets['RASA_API_TOKEN']}"}
    assert requests.get(url, headers=api, timeout=5).status_code == 401, "Rasa's API token is not the scraper's"
    Conversation(json_stack.rasa_url).say("hello")
    Conversation(json_stack.rasa_url).say("")  # refused politely, without processing
    scraper = {"Authorization": f"Bearer {json_stack.secrets['METRICS_TOKEN']}"}
    scraped = requests.get(url, headers=scraper, timeout=5)
    assert scraped.status_code == 200
    text = scraped.text
    assert 'shop_turns_total{channel="rest",outcome="answered"}' in text, text[:2000]
    assert 'shop_turns_total{channel="rest",outcome="empty"}' in text
    assert 'shop_turn_duration_seconds_count{channel="rest"}' in text
    assert "shop_turns_in_progress 0.0" in text
    assert 'shop_http_requests_total{method="POST",route="/webhooks/rest/webhook",status="200"}' in text
