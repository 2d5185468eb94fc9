"""Abandoned cart → proactive message at the shopper's socket, on a throwaway stack (issue 15's
"event from the shop front-end to proactive message in the chat: p95 ≤ 1 s").

N shoppers open the web chat (socket.io, as the widget does) with consent given and say hello; then
the shop's server posts an `add_to_cart` for each to the recommendations backend with the chat's
conversation id, spread over `--spread` seconds. Measured per shopper: from the moment the cart
became due (post time + `ABANDONED_CART_AFTER_S`) until the shopper's socket receives the note. The
delay itself is the shop's setting, not latency. Everything is real: the detector's timer, Rasa's
trigger-intent API, the action server, the pricing backend's goodwill budget, the socket.io emit.
(The widget then shows the message after its own typing pause, 30 ms per character, 0.8–3 s.)

    .venv-services/bin/python benchmarks/abandoned_cart_latency.py --shoppers 20 --base-port 29400
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.handoff_latency import Shopper, summary  # noqa: E402

NOTE = "still in your cart"
PRODUCTS = ("aero-12", "granite-hiking-boots", "merino-hiking-socks", "alpine-softshell-jacket", "camp-cook-set")


async def one_shopper(
    index: int, rasa_url: str, recs_url: str, token: str, after_s: float, delay_s: float
) -> tuple[float | None, str]:
    shopper = Shopper(rasa_url)
    await shopper.connect()
    try:
        await shopper.sio.emit(
            "user_uttered",
            {"message": "hello", "session_id": shopper.session_id, "customData": {"personalisation_consent": True}},
        )
        await asyncio.wait_for(shopper.received.get(), 30)  # the greeting
        await asyncio.sleep(delay_s)  # the carts spread over time, as real shoppers'
        body = {
            "customer_id": f"bench-cart-{index}",
            "product_id": PRODUCTS[index % len(PRODUCTS)],
            "type": "add_to_cart",
            "conversation_id": shopper.session_id,
        }
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http,
            http.post(f"{recs_url}/interactions", json=body) as answer,
        ):
            answer.raise_for_status()
        posted = time.perf_counter()
        try:
            arrived = await shopper.wait_for(NOTE, after_s + 30)
        except TimeoutError:
            return None, "no note"
        return arrived - posted - after_s, ""
    finally:
        await shopper.sio.disconnect()


async def measure(stack: Any, shoppers: int, after_s: float, spread_s: float) -> list[tuple[float | None, str]]:
    env = stack.env
    rasa_url = f"http://127.0.0.1:{env['RASA_PORT']}"
    recs_url = f"http://127.0.0.1:{env['RECS_PORT']}"
    token = stack.secrets["RECS_API_TOKEN"]
    return await asyncio.gather(
        *(one_shopper(i, rasa_url, recs_url, token, after_s, spread_s * i / shoppers) for i in range(shoppers))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, default=20)
    parser.add_argument("--after-s", type=float, default=3.0, help="ABANDONED_CART_AFTER_S of the stack")
    parser.add_argument("--poll-s", type=float, default=10.0, help="ABANDONED_CART_POLL_S (the default)")
    parser.add_argument("--spread", type=float, default=5.0, help="carts posted over this many seconds")
    parser.add_argument("--base-port", type=int, default=29400, help="ports base+5 … base+108")
    args = parser.parse_args()

    import os

    os.environ["E2E_BASE_PORT"] = str(args.base_port)
    from tests.e2e import conftest

    conftest.BASE_PORT = args.base_port
    with tempfile.TemporaryDirectory(prefix="cart-bench-") as directory:
        var = Path(directory)
        env = conftest.stack_env(
            var, port_offset=0, ABANDONED_CART_AFTER_S=str(args.after_s), ABANDONED_CART_POLL_S=str(args.poll_s)
        )
        stack = conftest.start_stack(var, env)
        try:
            results = asyncio.run(measure(stack, args.shoppers, args.after_s, args.spread))
        finally:
            stack.launcher("stop")
    latencies = [seconds for seconds, _ in results if seconds is not None]
    missing = [why for seconds, why in results if seconds is None]
    print(f"{args.shoppers} shoppers, delay {args.after_s} s, poll {args.poll_s} s, carts over {args.spread} s")
    print("| measure | n | median ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    if latencies:
        print(summary("cart due → note at the shopper's socket", latencies))
    if missing:
        print(f"{len(missing)} shoppers got no note: {sorted(set(missing))}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
