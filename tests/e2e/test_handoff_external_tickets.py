"""A handoff through a real Request Tracker 5: the ticket appears in RT, an agent answers in RT, and
the shopper reads that answer in the chat; what the shopper writes next lands on the RT ticket.

Its own stack (ports +900) with the desk's RT5 connector configured; RT is started by
tests/support/rt5.py with a throwaway SQLite database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Stack, stack_env, start_stack
from tests.e2e.conversation import Conversation
from tests.e2e.test_handoff_conversations import DeskAgent
from tests.support.rt5 import RT5Server, running_rt5

WAIT_S = 60.0


@pytest.fixture(scope="module")
def rt_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, RT5Server]]:
    with ExitStack() as resources:
        rt = resources.enter_context(running_rt5())
        var = tmp_path_factory.mktemp("rt-stack")
        env = stack_env(
            var,
            port_offset=900,
            HANDOFF_CONNECTORS="rt5",
            RT5_URL=rt.url + "/REST/2.0",
            RT5_USER=rt.user,
            RT5_PASSWORD=rt.password,
            RT5_QUEUE=rt.queue,
            HANDOFF_POLL_INTERVAL_S="1",
            HANDOFF_RETRY_INTERVAL_S="1",
        )
        stack = start_stack(var, env)
        resources.callback(stack.launcher, "stop")
        yield stack, rt


def wait_for(what: str, check: Any) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {WAIT_S:.0f} s")


def test_an_agent_answering_in_request_tracker_reaches_the_shopper(rt_stack: tuple[Stack, RT5Server]) -> None:
    stack, rt = rt_stack
    shopper = Conversation(stack.rasa_url)
    assert "colleague" in shopper.say("I want to talk to a real person about a damaged parcel")

    agent = DeskAgent(stack)
    ticket = agent.ticket_for(shopper.sender)
    rt_id = wait_for(
        "the RT ticket", lambda: (agent.ticket(ticket["ticket_id"]).get("external", {}).get("rt5") or {}).get("id")
    )
    status, rt_ticket = rt.rest("GET", f"ticket/{rt_id}")
    assert status == 200 and rt_ticket["Queue"]["id"]
    assert "damaged parcel" in rt_ticket["Subject"] or "damaged parcel" in str(
        rt.rest("GET", f"ticket/{rt_id}/history")
    )

    body = {"Content": "Hello from Request Tracker: we'll replace the parcel.", "ContentType": "text/plain"}
    status, answer = rt.rest("POST", f"ticket/{rt_id}/correspond", body, user=rt.agent)
    assert status == 201, answer

    def agent_reply_in_chat() -> bool:
        polled = requests.get(
            f"{stack.rasa_url}/webhooks/rest/messages", params={"sender": shopper.sender, "since": 0}, timeout=10
        ).json()
        return any("we'll replace the parcel" in m["text"] for m in polled)

    wait_for("the RT agent's reply in the chat", agent_reply_in_chat)

    assert shopper.send("Great, thank you!").json() == []  # the conversation is now held by the agent

    def shopper_reply_in_rt() -> bool:
        _, listing = rt.rest("GET", f"ticket/{rt_id}/history?per_page=100")
        ids = [item["id"] for item in listing["items"]]
        texts = [str(rt.rest("GET", f"transaction/{i}/attachments?fields=Content")[1]) for i in ids[-4:]]
        return any("Great, thank you!" in text for text in texts)

    wait_for("the shopper's answer on the RT ticket", shopper_reply_in_rt)
