"""Human handoff end to end: real Rasa, action server, sentiment service, desk and relay.

A shopper gets upset (scored by the real sentiment model), the bot apologises, then hands over;
an agent logs into the desk, takes the conversation, replies, reads the shopper's answer and
hands back; the bot answers again. Also: an explicit request over REST with polling for the
agent's words, a desk that is down (the request is queued and reaches the desk later), and keyboard
noise, which never takes an agent's time while real requests not understood do.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Stack
from tests.e2e.conversation import Conversation, stored_tracker
from tests.e2e.socketio_client import texts, widget_client

WAIT_S = 30.0


class DeskAgent:
    """An agent using the desk's JSON API with a login session (what the desk page does)."""

    def __init__(self, stack: Stack, name: str = "admin") -> None:
        self.base = stack.desk_url
        self.http = requests.Session()
        reply = self.http.post(
            f"{self.base}/desk/api/login",
            json={"name": name, "password": stack.secrets["HANDOFF_ADMIN_PASSWORD"]},
            timeout=10,
        )
        assert reply.status_code == 200, reply.text

    def ticket_for(self, conversation_id: str) -> dict[str, Any]:
        """Waits until the conversation's ticket is in the queue (or already held by me)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            queue = self.http.get(f"{self.base}/desk/api/queue", timeout=10).json()
            for ticket in [*queue["tickets"], *queue["mine"]]:
                if ticket["conversation_id"] == conversation_id:
                    return ticket
            time.sleep(0.3)
        pytest.fail(f"no ticket for {conversation_id} in the desk's queue within {WAIT_S:.0f} s")

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = self.http.post(f"{self.base}/desk/api{path}", json=body or {}, timeout=10)
        assert reply.status_code in (200, 201), f"{path}: {reply.status_code} {reply.text}"
        return reply.json()

    def ticket(self, ticket_id: Any) -> dict[str, Any]:
        return self.http.get(f"{self.base}/desk/api/tickets/{ticket_id}", timeout=10).json()

    def wait_for_shopper_message(self, ticket_id: Any, text: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            ticket = self.ticket(ticket_id)
            if any(m["role"] == "user" and m["text"] == text for m in ticket["messages"]):
                return
            time.sleep(0.3)
        pytest.fail(f"the desk never showed the shopper's {text!r}")


async def next_replies(client: Any, timeout_s: float = WAIT_S) -> str:
    first = await asyncio.wait_for(client.replies.get(), timeout_s)
    replies = [first]
    while True:
        try:
            replies.append(await asyncio.wait_for(client.replies.get(), 1.0))
        except TimeoutError:
            return texts(replies)


async def test_upset_shopper_is_calmed_then_handed_to_an_agent_and_back(stack: Stack) -> None:
    async with widget_client(stack.rasa_url) as shopper:
        conversation_id = await shopper.start_session()
        first = texts(await shopper.say("Your delivery fees are a total rip-off!!! Why is shipping SO EXPENSIVE???"))
        assert "express" in first.lower() or "standard" in first.lower()  # the question is answered...
        assert "frustrating" in first and "colleague" in first  # ...then the bot apologises, never argues

        second = texts(await shopper.say("This is useless, you are not helping me at all. Terrible service!!"))
        assert "colleague" in second and ("passing you" in second or "asked a colleague" in second)

        # The desk calls block: they run in a thread so the shopper's socket keeps being served.
        agent = await asyncio.to_thread(DeskAgent, stack)
        ticket = await asyncio.to_thread(agent.ticket_for, conversation_id)
        assert ticket["reason"] == "frustration" and ticket["channel"] == "socketio"
        details = await asyncio.to_thread(agent.ticket, ticket["ticket_id"])
        said = [m["text"] for m in details["messages"] if m["role"] == "user"]
        assert said[:2] == [
            "Your delivery fees are a total rip-off!!! Why is shipping SO EXPENSIVE???",
            "This is useless, you are not helping me at all. Terrible service!!",
        ]
        assert [h["label"] for h in details["sentiment_history"]][:2] == ["negative", "negative"]

        await asyncio.to_thread(agent.post, f"/tickets/{ticket['ticket_id']}/take")
        assert "joined" in await next_replies(shopper)
        reply = {"text": "Hi, I'm sorry about the fees. Let me help."}
        await asyncio.to_thread(agent.post, f"/tickets/{ticket['ticket_id']}/messages", reply)
        assert "Let me help." in await next_replies(shopper)

        while not shopper.replies.empty():
            shopper.replies.get_nowait()
        await shopper.sio.emit(
            "user_uttered", {"message": "ok, thank you", "session_id": conversation_id, "customData": {}}
        )
        await asyncio.to_thread(agent.wait_for_shopper_message, ticket["ticket_id"], "ok, thank you")
        await asyncio.sleep(1.0)
        assert shopper.replies.empty()  # neither the bot nor an apology for silence answered it

        await asyncio.to_thread(agent.post, f"/tickets/{ticket['ticket_id']}/close")
        assert "back with the assistant" in await next_replies(shopper)
        answer = texts(await shopper.say("what payment methods do you accept?"))
        assert "PayPal" in answer


def test_explicit_request_over_rest_with_polling_for_the_agents_reply(stack: Stack) -> None:
    shopper = Conversation(stack.rasa_url)
    shopper.say("hello")
    reply = shopper.say("I want to talk to a real person please")
    assert "colleague" in reply
    agent = DeskAgent(stack)
    ticket = agent.ticket_for(shopper.sender)
    assert ticket["reason"] == "explicit_request" and ticket["channel"] == "rest"
    agent.post(f"/tickets/{ticket['ticket_id']}/take")
    agent.post(f"/tickets/{ticket['ticket_id']}/messages", {"text": "Hello from a human."})
    polled = requests.get(
        f"{stack.rasa_url}/webhooks/rest/messages", params={"sender": shopper.sender, "since": 0}, timeout=10
    ).json()
    assert "Hello from a human." in [m["text"] for m in polled]
    shopper.send("are you there?")  # held: no bot reply, no apology
    assert shopper.send("still there?").json() == []
    agent.wait_for_shopper_message(ticket["ticket_id"], "still there?")
    agent.post(f"/tickets/{ticket['ticket_id']}/close")
    assert "PayPal" in shopper.say("what payment methods do you take?")


def test_desk_down_queues_the_handoff_and_delivers_it_later(stack: Stack) -> None:
    stack.kill("handoff")
    try:
        shopper = Conversation(stack.rasa_url)
        reply = shopper.say("let me speak to a human")
        assert "saved your request" in reply
        assert "PayPal" in shopper.say("what payment methods do you take?")  # the bot keeps helping
    finally:
        stack.restart()
    agent = DeskAgent(stack)
    ticket = agent.ticket_for(shopper.sender)  # the action server's outbox retried until the desk was back
    assert ticket["reason"] == "explicit_request"


def actions_run(stack: Stack, sender: str) -> list[str]:
    return [e["name"] for e in stored_tracker(stack, sender)["events"] if e["event"] == "action"]


def test_keyboard_noise_is_not_handed_to_a_person_but_requests_not_understood_are(stack: Stack) -> None:
    """Issue 12: three lines of noise were handed to an agent. Noise is marked by the NLU (nlu/noise_detector.py)."""
    noisy = Conversation(stack.rasa_url)
    for line in ("asdkjh qwe", "blorp", "zzzz", "qwertyuiop"):
        assert "colleague" not in noisy.say(line)
    assert "action_handoff" not in actions_run(stack, noisy.sender)

    stuck = Conversation(stack.rasa_url)
    replies = [stuck.say(text) for text in ("can I get it engraved", "asdkjh", "is your warehouse open on sundays")]
    assert not any("colleague" in reply for reply in replies[:2])
    assert "Would you like me to pass you to a colleague?" in replies[2]  # the noise did not reset the run
    assert "action_handoff" not in actions_run(stack, stuck.sender)
    stuck.say("how tall is your CEO")  # the third real request not understood
    assert "action_handoff" in actions_run(stack, stuck.sender)
