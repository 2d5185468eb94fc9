"""Does the action server's memory level off? Conversations one after another, RSS after each block.

The 100-shopper soak (benchmarks/soak.py) showed the action server growing by 26 MiB in 10 minutes
while every other process stayed flat. This plays the conversation script (every conversation, on
the REST, app and socket.io channels) in blocks of 1, 4, 8, 8 and 8 rounds against a throwaway
default stack and prints the action server's RSS after each block, so a level-off or a steady
growth per conversation can be told apart.

    .venv-services/bin/python -m benchmarks.actions_memory_growth --base-port 30000
"""

from __future__ import annotations

import argparse
import asyncio
import random
from typing import Any

import aiohttp

from benchmarks import process_memory, shoppers
from benchmarks.stacks import started_stack

CHANNELS = ("rest", "app", "socketio")
BLOCKS = (1, 4, 8, 8, 8)  # rounds of the script per block


async def play_rounds(stack: Any, rounds: int, channel: str, seed: int) -> int:
    """Plays the script `rounds` times on `channel`; returns the number of conversations."""
    script = shoppers.load_conversations()
    rng = random.Random(seed)
    async with aiohttp.ClientSession() as http:
        for _ in range(rounds):
            for conv in script.conversations:
                prepared, customer = shoppers.prepare(conv, stack, rng)
                await shoppers.play(prepared, channel, http, stack, 0.0, rng, customer if channel == "app" else None)
    return rounds * len(script.conversations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-port", type=int, default=29000)
    args = parser.parse_args()
    with started_stack("default", args.base_port) as stack:
        actions = process_memory.read_pid_dir(stack.var / "run")["actions"]
        conversations = 0
        print("| conversations | action server RSS MiB |\n|---:|---:|")
        for block, rounds in enumerate(BLOCKS):
            for channel in CHANNELS:
                conversations += asyncio.run(play_rounds(stack, rounds, channel, seed=block))
            print(f"| {conversations} | {process_memory.rss_mib(actions):.0f} |", flush=True)


if __name__ == "__main__":
    main()
