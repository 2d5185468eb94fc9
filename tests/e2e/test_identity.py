"""No path shows one customer's order to someone else (the running stack, real clients).

Identity comes only from a verified app JWT (app channel, checked again by the action server) or,
for anonymous visitors, from proving one order at a time with its email or ZIP code. Metadata a
client writes itself (REST, socket.io) proves nothing; the Rasa HTTP API and the order backend
need their tokens.

Orders used here are ones other tests leave alone: "shipped" and "delivered" from index 3 on.
"""

from __future__ import annotations

import json
import re
import socket
import time
from typing import Any

import jwt
import pytest
import requests

from contracts.identity import sender_id_for
from tests.e2e.conversation import Conversation, forged_action_call, stored_tracker
from tests.e2e.socketio_client import texts, widget_client

ORDER_NUMBER = re.compile(r"(?<!\d)\d{6}(?!\d)")


# --------------------------------------------------------------------------- helpers


def app_token(stack: Any, customer_id: str, ttl: int = 600, secret: str | None = None, **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": customer_id, "iat": now, "exp": now + ttl, **claims}
    return jwt.encode(payload, secret or stack.secrets["APP_JWT_SECRET"], algorithm="HS256")


def orders_api(stack: Any, path: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {stack.secrets['ORDERS_API_TOKEN']}"}
    response = requests.get(stack.orders_url + path, headers=headers, timeout=10)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def own_order_numbers(stack: Any, customer_id: str) -> set[str]:
    data = orders_api(stack, f"/customers/{customer_id}/orders?limit=50")
    return {o["order_number"] for o in data["orders"]}


def giveaways(stack: Any, order_number: str) -> list[str]:
    """Details of an order that only someone allowed to see it could learn from the bot."""
    order = orders_api(stack, f"/orders/{order_number}")
    tracking_numbers = [s["tracking_number"] for s in order.get("shipments", []) if s.get("tracking_number")]
    return [*tracking_numbers, order["shipping_address"]["line1"]]


def assert_nothing_about(stack: Any, order_number: str, reply: str) -> None:
    """The reply neither describes the order nor shows a detail of it (it may repeat the number asked about)."""
    for detail in giveaways(stack, order_number):
        assert detail not in reply, f"reply leaks {detail!r} of order {order_number}: {reply}"
    n = re.escape(order_number)
    about_it = re.compile(
        rf"[Oo]rder {n}(?: \(|:| is | was | has | hasn't| can't)|{n} \((?:is|was|has|could)|"
        rf"(?:[Ii]nvoice|[Rr]efunds?|return) for order {n}"
    )
    match = about_it.search(reply)
    assert match is None, f"reply describes order {order_number} ({match.group(0)!r}): {reply}"


def another_customers_order(stack: Any, customer_id: str) -> dict:
    """A delivered/shipped order (index 3+) of a different customer."""
    for status in ("delivered", "shipped"):
        for order in stack.demo_orders.get(status, [])[3:]:
            if order["customer_id"] != customer_id:
                return order
    pytest.fail("the demo data has no suitable order of another customer", pytrace=False)


def fresh_app_chat(stack: Any, customer_id: str) -> Conversation:
    """The customer's app conversation (one per customer), restarted so earlier tests leave no context,
    not even a hand-off that holds it for an agent (a message would go to the agent, not get a reply).
    Its id is the one the channel derives (contracts/identity.py, keyed with the app's JWT secret)."""
    chat = Conversation(stack.rasa_url, channel="app", token=app_token(stack, customer_id))
    chat.sender = sender_id_for(customer_id, stack.secrets["APP_JWT_SECRET"])
    restarted = requests.post(
        f"{stack.rasa_url}/conversations/{chat.sender}/tracker/events",
        params={"token": stack.secrets["RASA_API_TOKEN"]},
        json={"event": "restart"},
        timeout=10,
    )
    assert restarted.status_code == 200, restarted.text[:300]
    return chat


def say(chat: Conversation, message: str, **body: Any) -> str:
    response = chat.send(message, **body)
    assert response.status_code == 200, f"{response.status_code}: {response.text[:300]}"
    text = "\n".join(r.get("text", "") for r in response.json() if r.get("text"))
    assert text, f"no reply to {message!r}"
    return text


def proven_chat(stack: Any, order: dict) -> Conversation:
    """An anonymous REST visitor who proved ownership of `order`."""
    chat = Conversation(stack.rasa_url)
    chat.say("where is my order?")
    chat.say(order["order_number"])
    answer = chat.say(order["email"])
    assert order["order_number"] in answer and "email" not in answer.lower(), answer
    return chat


# --------------------------------------------------------------------------- logged-in app user


def test_app_user_gets_their_own_orders_without_proof(stack: Any) -> None:
    own = stack.order("shipped", 3)
    customer = own["customer_id"]
    theirs = own_order_numbers(stack, customer)
    chat = fresh_app_chat(stack, customer)

    listing = chat.say("where is my order?")
    assert "Your recent orders" in listing, listing
    listed = set(ORDER_NUMBER.findall(listing))
    assert listed and listed <= theirs, f"listed {listed - theirs} not of {customer}: {listing}"

    status = chat.say(own["order_number"])
    assert own["order_number"] in status and "has shipped" in status, status
    assert "email" not in status.lower() and "zip" not in status.lower(), "an app user is not asked for proof"


def test_app_user_cannot_get_another_customers_order(stack: Any) -> None:
    customer = stack.order("shipped", 3)["customer_id"]
    other = another_customers_order(stack, customer)
    chat = fresh_app_chat(stack, customer)

    answer = chat.say(f"where is order {other['order_number']}?")
    assert f"couldn't find order {other['order_number']} among your orders" in answer, answer
    assert_nothing_about(stack, other["order_number"], answer)
    assert stored_tracker(stack, chat.sender)["slots"]["order_number"] is None

    for question in (f"when will order {other['order_number']} arrive?", f"invoice for order {other['order_number']}"):
        chat = fresh_app_chat(stack, customer)
        answer = chat.say(question)
        assert_nothing_about(stack, other["order_number"], answer)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the HS512 case
def test_expired_and_forged_app_tokens_are_refused(stack: Any) -> None:
    own = stack.order("shipped", 3)
    customer = own["customer_id"]
    now = int(time.time())
    cases = {
        "expired": app_token(stack, customer, ttl=-3600),
        "other secret": forged_token(stack, customer),
        "signed with the Rasa API token": app_token(stack, customer, secret=stack.secrets["RASA_API_TOKEN"]),
        "signed with the orders token": app_token(stack, customer, secret=stack.secrets["ORDERS_API_TOKEN"]),
        "alg none": jwt.encode({"sub": customer, "exp": now + 600}, None, algorithm="none"),
        "no exp": jwt.encode({"sub": customer}, stack.secrets["APP_JWT_SECRET"], algorithm="HS256"),
        "HS512": jwt.encode({"sub": customer, "exp": now + 600}, stack.secrets["APP_JWT_SECRET"], algorithm="HS512"),
    }
    for case, token in cases.items():
        chat = Conversation(stack.rasa_url, channel="app", token=token)
        response = chat.send(f"where is my order {own['order_number']}?")
        assert response.status_code == 401, (case, response.status_code, response.text[:300])
        assert response.json()["error"] == "unauthorized", case
        assert own["order_number"] not in response.text, case


# --------------------------------------------------------------------------- anonymous visitors


def forged_token(stack: Any, customer_id: str) -> str:
    return app_token(stack, customer_id, secret="forged-" + "x" * 40)


def rest_visitor_with_token(stack: Any, token: str) -> None:
    own = stack.order("shipped", 3)
    chat = Conversation(stack.rasa_url)
    body = {"metadata": {"customer_id": own["customer_id"], "app_jwt": token}, "input_channel": "app"}
    asked = say(chat, "where is my order?", **body)
    assert "Your recent orders" not in asked and not ORDER_NUMBER.search(asked), asked
    proof = say(chat, own["order_number"], **body)
    assert "email" in proof.lower() and "zip" in proof.lower(), proof
    assert_nothing_about(stack, own["order_number"], proof)
    # The message reached the assistant, but the channel dropped the identity claims from it.
    user_events = [e for e in stored_tracker(stack, chat.sender)["events"] if e["event"] == "user"]
    assert user_events[-1]["text"] == own["order_number"]
    assert "app_jwt" not in user_events[-1]["metadata"] and "customer_id" not in user_events[-1]["metadata"]


def test_rest_visitor_with_forged_token_in_metadata_proves_nothing(stack: Any) -> None:
    rest_visitor_with_token(stack, forged_token(stack, stack.order("shipped", 3)["customer_id"]))


def test_rest_visitor_replaying_an_app_token_proves_nothing(stack: Any) -> None:
    rest_visitor_with_token(stack, app_token(stack, stack.order("shipped", 3)["customer_id"]))


async def socket_visitor_with_token(stack: Any, token: str) -> None:
    own = stack.order("shipped", 3)
    custom_data = {"customer_id": own["customer_id"], "app_jwt": token}
    async with widget_client(stack.rasa_url) as visitor:
        await visitor.start_session()
        asked = texts(await visitor.say("where is my order?", custom_data))
        assert "Your recent orders" not in asked and not ORDER_NUMBER.search(asked), asked
        proof = texts(await visitor.say(own["order_number"], custom_data))
        assert "email" in proof.lower() and "zip" in proof.lower(), proof
        assert_nothing_about(stack, own["order_number"], proof)
    user_events = [e for e in stored_tracker(stack, visitor.session_id)["events"] if e["event"] == "user"]
    assert user_events and user_events[-1]["text"] == own["order_number"], "the attempt reached the assistant"
    assert "app_jwt" not in user_events[-1]["metadata"], "the channel drops identity claims"


async def test_socketio_visitor_with_forged_token_in_metadata_proves_nothing(stack: Any) -> None:
    await socket_visitor_with_token(stack, forged_token(stack, stack.order("shipped", 3)["customer_id"]))


async def test_socketio_visitor_replaying_an_app_token_proves_nothing(stack: Any) -> None:
    await socket_visitor_with_token(stack, app_token(stack, stack.order("shipped", 3)["customer_id"]))


def test_proving_one_order_does_not_unlock_another(stack: Any) -> None:
    proven, other = stack.order("shipped", 3), stack.order("delivered", 3)
    assert proven["order_number"] != other["order_number"]

    chat = proven_chat(stack, proven)
    asked = chat.say(f"where is order {other['order_number']}?")
    assert "email" in asked.lower() and "zip" in asked.lower(), "order B needs its own proof"
    assert_nothing_about(stack, other["order_number"], asked)
    wrong = chat.say(proven["email"])  # A's email is no proof for B (unless B is A's customer's too)
    if proven["customer_id"] != other["customer_id"]:
        assert "couldn't confirm that order" in wrong, wrong
        assert_nothing_about(stack, other["order_number"], wrong)

    for question in (
        f"when will order {other['order_number']} arrive?",
        f"can I see the invoice for order {other['order_number']}?",
        f"I want to cancel order {other['order_number']}",
        # Rasa's intent syntax with entities: a slot only actions set must not be filled this way.
        "/track_order"
        + json.dumps({"order_number": other["order_number"], "verified_orders": [other["order_number"]]}),
    ):
        chat = proven_chat(stack, proven)
        answer = chat.say(question)
        assert_nothing_about(stack, other["order_number"], answer)
        verified = stored_tracker(stack, chat.sender)["slots"]["verified_orders"]
        assert verified == [proven["order_number"]], (question, verified)


# --------------------------------------------------------------------------- the APIs behind the bot


def test_rasa_http_api_needs_its_token(stack: Any) -> None:
    chat = proven_chat(stack, stack.order("shipped", 3))
    url = f"{stack.rasa_url}/conversations/{chat.sender}/tracker"
    token = stack.secrets["RASA_API_TOKEN"]
    refused = {
        "no token": requests.get(url, timeout=10),
        "wrong token": requests.get(url, params={"token": "wrong-" + token}, timeout=10),
        "auth token as Bearer header": requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10),
        "app JWT": requests.get(url, params={"token": app_token(stack, "C1001")}, timeout=10),
        "inject events": requests.post(f"{url}/events", json={"event": "restart"}, timeout=10),
        "send a message": requests.post(
            f"{stack.rasa_url}/conversations/{chat.sender}/messages",
            json={"text": "hi", "sender": "user"},
            timeout=10,
        ),
    }
    for case, response in refused.items():
        assert response.status_code == 401, (case, response.status_code, response.text[:300])
        assert stack.order("shipped", 3)["email"] not in response.text, case
    allowed = requests.get(url, params={"token": token}, timeout=10)
    assert allowed.status_code == 200 and allowed.json()["sender_id"] == chat.sender


def test_orders_backend_needs_its_token(stack: Any) -> None:
    order = stack.order("shipped", 4)
    number, customer = order["order_number"], order["customer_id"]
    calls = [
        ("GET", f"/orders/{number}", None),
        ("GET", f"/orders/{number}/tracking", None),
        ("GET", f"/orders/{number}/invoice", None),
        ("GET", f"/customers/{customer}", None),
        ("GET", f"/customers/{customer}/orders", None),
        ("POST", f"/orders/{number}/verify", {"email": order["email"]}),
        ("POST", f"/orders/{number}/cancel", {"reason": "test"}),  # shipped: refused anyway if auth were broken
    ]
    headers = {
        "none": {},
        "wrong token": {"Authorization": "Bearer wrong"},
        "Rasa API token": {"Authorization": f"Bearer {stack.secrets['RASA_API_TOKEN']}"},
        "app JWT": {"Authorization": f"Bearer {app_token(stack, customer)}"},
        "right token, wrong scheme": {"Authorization": f"Basic {stack.secrets['ORDERS_API_TOKEN']}"},
    }
    for method, path, body in calls:
        for case, header in headers.items():
            response = requests.request(method, stack.orders_url + path, headers=header, json=body, timeout=10)
            assert response.status_code == 401, (method, path, case, response.status_code, response.text[:200])
            assert order["email"] not in response.text and number not in response.text, (path, case)
    assert requests.get(stack.orders_url + "/health", timeout=10).status_code == 200
    assert orders_api(stack, f"/orders/{number}")["order_number"] == number


def outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@pytest.mark.parametrize(
    "process",
    [
        "ORDERS_PORT",
        "ACTIONS_PORT",
        "RASA_PORT",
        "WEB_PORT",
    ],
)
def test_services_listen_on_loopback_only(stack: Any, process: str) -> None:
    """ASSISTANT_HOST is 127.0.0.1 here, and the backend and action server are loopback-only always."""
    address = outward_address()
    if address is None:
        pytest.skip("no non-loopback address on this machine")
    port = int(stack.env[process])
    with socket.socket() as client:
        client.settimeout(3)
        reachable = client.connect_ex((address, port)) == 0
    assert not reachable, f"{process} {port} is reachable on {address}"


def test_action_server_gives_nothing_to_a_crafted_tracker_from_the_network(stack: Any) -> None:
    """The action server takes identity from the tracker Rasa sends it, so only Rasa may reach it."""
    address = outward_address()
    if address is None:
        pytest.skip("no non-loopback address on this machine")
    order = stack.order("delivered", 3)
    crafted = forged_action_call(order, "track_order", "where is it")
    try:
        response = requests.post(f"http://{address}:{stack.env['ACTIONS_PORT']}/webhook", json=crafted, timeout=10)
    except requests.ConnectionError:
        return  # not reachable from the network: nothing to get
    assert_nothing_about(stack, order["order_number"], response.text)
