"""Two Rasa workers behind the balancer (ASSISTANT_RASA_WORKERS=2, HAProxy), on PostgreSQL and Redis.

Any worker takes any message: the tracker store (PostgreSQL) is shared, and the lock store (Redis)
makes the turns of one conversation wait for each other whichever workers they reach. The tests send
to the workers' own ports to make two workers handle one conversation, and through the balancer as
shoppers do; the action server runs two Sanic workers too.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Stack, production_stores, stack_env, start_stack
from tests.e2e.conversation import Conversation, new_rest_sender, stored_tracker
from tests.e2e.socketio_client import widget_client
from tests.support.postgres import running_postgres
from tests.support.redis import running_redis

# Distinct questions: asking the same one twice reads as the bot failing, and a person is asked for.
QUESTIONS = [
    "what is your refund policy?",
    "what delivery options do you have?",
    "what payment methods do you accept?",
    "do you ship internationally?",
    "how long does delivery take?",
    "can I return a gift?",
]


@pytest.fixture(scope="module")
def workers_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with ExitStack() as resources:
        pg = resources.enter_context(running_postgres())
        redis = resources.enter_context(running_redis())
        var = tmp_path_factory.mktemp("workers-stack")
        env = stack_env(
            var,
            port_offset=1300,
            **production_stores(pg, redis),
            ASSISTANT_RASA_WORKERS="2",
            ACTION_SERVER_SANIC_WORKERS="2",
            ORDERS_DB_URL=pg.create_database("orders"),
        )
        stack = start_stack(var, env)
        resources.callback(stack.launcher, "stop")  # registered last: runs before the databases stop
        yield stack


def worker_url(stack: Stack, index: int) -> str:
    return f"http://127.0.0.1:{int(stack.env['RASA_PORT']) + 10 + index}"


def user_texts(tracker: dict[str, Any]) -> list[str]:
    return [event["text"] for event in tracker["events"] if event["event"] == "user"]


def turns_are_whole(tracker: dict[str, Any]) -> bool:
    """Every shopper message is followed by the bot's actions before the next one: turns never interleave."""
    kinds = [e["event"] for e in tracker["events"] if e["event"] in ("user", "action", "bot")]
    return all(kinds[i + 1] != "user" for i, kind in enumerate(kinds[:-1]) if kind == "user")


def test_both_workers_and_the_balancer_answer(workers_stack: Stack) -> None:
    token = workers_stack.secrets["RASA_API_TOKEN"]
    for url in (worker_url(workers_stack, 1), worker_url(workers_stack, 2), workers_stack.rasa_url):
        assert requests.get(f"{url}/status", params={"token": token}, timeout=10).status_code == 200, url
    assert workers_stack.pid("rasa-1") and workers_stack.pid("rasa-2") and workers_stack.pid("balancer")


def test_one_conversation_across_both_workers_keeps_its_order(workers_stack: Stack) -> None:
    sender = new_rest_sender(workers_stack.rasa_url)  # issued by one worker, valid on both (one id secret)
    chats = [Conversation(worker_url(workers_stack, i), sender=sender) for i in (1, 2)]
    for index, question in enumerate(QUESTIONS[:4]):
        assert chats[index % 2].say(question)
    tracker = stored_tracker(workers_stack, sender)
    assert user_texts(tracker) == QUESTIONS[:4]
    assert turns_are_whole(tracker)


def test_concurrent_messages_to_one_conversation_on_both_workers_lose_nothing(workers_stack: Stack) -> None:
    """Without the shared lock, two workers would both load the tracker, add their turn and save:
    one turn would overwrite the other."""
    sender = new_rest_sender(workers_stack.rasa_url)
    chats = [Conversation(worker_url(workers_stack, i), sender=sender) for i in (1, 2)]
    start = threading.Barrier(len(QUESTIONS))

    def send(index: int) -> int:
        start.wait()
        return chats[index % 2].send(QUESTIONS[index]).status_code

    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        statuses = list(pool.map(send, range(len(QUESTIONS))))
    assert statuses == [200] * len(QUESTIONS)
    tracker = stored_tracker(workers_stack, sender)
    assert sorted(user_texts(tracker)) == sorted(QUESTIONS)
    assert turns_are_whole(tracker), [e["event"] for e in tracker["events"]]


def test_the_web_widget_stays_on_one_worker_through_the_balancer(workers_stack: Stack) -> None:
    """engine.io starts with long-polling (separate HTTP requests) and upgrades to a websocket: every
    request of the connection must reach the worker that opened it."""
    import asyncio

    async def chat() -> list[str]:
        async with widget_client(workers_stack.rasa_url) as client:
            await client.start_session()
            replies = []
            for question in QUESTIONS[:3]:
                replies.append(" ".join(r.get("text", "") for r in await client.say(question)))
            return replies

    replies = asyncio.run(chat())
    assert all(replies) and "30 days" in replies[0], replies


def test_an_agent_reply_reaches_the_web_chat_from_either_worker(workers_stack: Stack) -> None:
    """The desk's relay call reaches whichever worker the balancer picks; the browser's socket is on
    one of them. Both report "live" and the widget shows both replies (emits go through Redis)."""
    import asyncio

    relay = {"Authorization": f"Bearer {workers_stack.secrets['HANDOFF_RELAY_TOKEN']}"}

    async def chat() -> tuple[list[str], list[str]]:
        async with widget_client(workers_stack.rasa_url) as client:
            session_id = await client.start_session()
            await client.say(QUESTIONS[0])
            delivered, shown = [], []
            for index in (1, 2):
                reply = await asyncio.to_thread(
                    requests.post,
                    f"{worker_url(workers_stack, index)}/webhooks/handoff/agent_message",
                    json={"conversation_id": session_id, "text": f"Agent here, via worker {index}", "agent_name": "A"},
                    headers=relay,
                    timeout=10,
                )
                assert reply.status_code == 200, reply.text
                delivered.append(reply.json()["delivered"])
                shown.append((await asyncio.wait_for(client.replies.get(), 10)).get("text", ""))
            return delivered, shown

    delivered, shown = asyncio.run(chat())
    assert delivered == ["live", "live"]
    assert shown == ["Agent here, via worker 1", "Agent here, via worker 2"]


def test_a_worker_killed_mid_turn_loses_no_stored_event_and_the_other_answers(workers_stack: Stack) -> None:
    chat = Conversation(workers_stack.rasa_url)
    for question in QUESTIONS[:2]:
        chat.say(question)
    before = stored_tracker(workers_stack, chat.sender)["events"]
    victim = workers_stack.pid("rasa-1")
    assert victim
    on_victim = Conversation(worker_url(workers_stack, 1), sender=chat.sender)
    in_flight = threading.Thread(target=lambda: _ignore_errors(on_victim.send, QUESTIONS[2]))
    in_flight.start()
    time.sleep(0.05)  # the message is on its way into rasa-1
    os.killpg(victim, 9)
    in_flight.join(timeout=35)
    started = time.monotonic()
    reply = requests.post(chat.url, json={"sender": chat.sender, "message": QUESTIONS[3]}, timeout=90)
    waited = time.monotonic() - started
    print(f"answered through the balancer {waited:.1f} s after rasa-1 was killed: {reply.status_code}")
    # rasa-1 may have died holding the conversation's lock: its ticket is dropped once its heartbeat
    # expires (LOCK_WORKER_HEARTBEAT_S, 5 s), well before TICKET_LOCK_LIFETIME (20 s).
    assert reply.status_code == 200 and reply.json(), reply.text[:300]
    assert waited < 5 + 6, "the next message waited for the dead worker's ticket to expire"
    after = stored_tracker(workers_stack, chat.sender)["events"]
    assert after[: len(before)] == before, "an event stored before the kill changed or went missing"
    assert user_texts({"events": after})[-1] == QUESTIONS[3]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and workers_stack.pid("rasa-1") in (None, victim):
        time.sleep(0.5)
    assert workers_stack.pid("rasa-1") not in (None, victim), "the supervisor did not restart rasa-1"


def _ignore_errors(send: Any, text: str) -> None:
    # The worker dies under the request: the shopper's client sees an error and sends again.
    with contextlib.suppress(requests.RequestException):
        send(text)
