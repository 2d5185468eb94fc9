"""The app channel of the running stack: ``POST /webhooks/app/webhook`` with a signed JWT."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import jwt

WEBHOOK = "/webhooks/app/webhook"


def customers(stack: Any) -> list[str]:
    """Two customer ids: from the demo orders when they have them, else made up (the channel does not care)."""
    ids = sorted({o["customer_id"] for orders in stack.demo_orders.values() for o in orders if o.get("customer_id")})
    return ids[:2] if len(ids) >= 2 else ["e2e-customer-a", "e2e-customer-b"]


def app_token(stack: Any, customer_id: str, ttl: int = 600, secret: str | None = None) -> str:
    claims = {"sub": customer_id, "iat": int(time.time()), "exp": int(time.time()) + ttl}
    return jwt.encode(claims, secret or stack.secrets["APP_JWT_SECRET"], algorithm="HS256")


async def send(stack: Any, message: Any, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(stack.rasa_url + WEBHOOK, json={"message": message}, headers=headers) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


async def tracker(stack: Any, sender_id: str) -> dict[str, Any]:
    params = {"token": stack.secrets["RASA_API_TOKEN"]}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{stack.rasa_url}/conversations/{sender_id}/tracker", params=params) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def test_valid_token_gets_a_reply_and_identity_reaches_the_tracker(stack: Any) -> None:
    customer = customers(stack)[0]
    token = app_token(stack, customer)
    status, replies = await send(stack, "hi", token)
    assert status == 200, replies
    assert replies and all(r.get("text") or r.get("buttons") or r.get("custom") or r.get("image") for r in replies)
    sender_id = replies[0]["recipient_id"]
    assert sender_id.startswith("app-") and customer not in sender_id
    user_events = [e for e in (await tracker(stack, sender_id))["events"] if e["event"] == "user"]
    assert user_events[-1]["input_channel"] == "app"
    assert user_events[-1]["metadata"]["customer_id"] == customer
    assert "app_jwt" not in user_events[-1]["metadata"]


async def test_same_customer_keeps_the_sender_id_and_two_customers_differ(stack: Any) -> None:
    first, second = customers(stack)
    _, a = await send(stack, "hi", app_token(stack, first))
    _, a_again = await send(stack, "hello", app_token(stack, first, ttl=900))
    _, b = await send(stack, "hi", app_token(stack, second))
    assert a[0]["recipient_id"] == a_again[0]["recipient_id"]
    assert a[0]["recipient_id"] != b[0]["recipient_id"]


async def test_missing_invalid_and_expired_tokens_are_refused(stack: Any) -> None:
    customer = customers(stack)[0]
    cases = {
        "missing": None,
        "garbage": "not-a-jwt",
        "wrong secret": app_token(stack, customer, secret="not-the-secret-" + "z" * 40),
        "expired": app_token(stack, customer, ttl=-3600),
    }
    for case, token in cases.items():
        status, body = await send(stack, "hi", token)
        assert status == 401, (case, body)
        assert body["error"] == "unauthorized" and body["message"], (case, body)


async def test_bad_input_gets_400_not_500(stack: Any) -> None:
    token = app_token(stack, customers(stack)[0])
    for message in ("", 42, "x" * 5001):
        status, body = await send(stack, message, token)
        assert status == 400, (message, body)
        assert "message" in body["message"]
    async with (
        aiohttp.ClientSession() as http,
        http.post(stack.rasa_url + WEBHOOK, data=b"{not json", headers={"Authorization": f"Bearer {token}"}) as resp,
    ):
        assert resp.status == 400
        assert (await resp.json())["message"] == "body must be valid JSON"


async def test_health(stack: Any) -> None:
    async with aiohttp.ClientSession() as http, http.get(stack.rasa_url + "/webhooks/app/") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}
