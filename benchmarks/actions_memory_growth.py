"""Does the action server's memory level off? Conversations one after another, RSS after each block.

The 100-shopper soak (benchmarks/soak.py) showed the action server growing by 26 MiB in 10 minutes
while every other process stayed flat. This plays the conversation script (every conversation, on
the REST, app and socket.io channels) in blocks of 1, 4, 8, 8 and 8 rounds and prints the action
server's RSS after each block, so a level-off or a steady growth per conversation can be told apart.

One throwaway default stack per `--release-every` value (the action server's MEMORY_RELEASE_EVERY_S,
actions/memory_release.py; 0: never), played side by side, one column each:

    .venv-services/bin/python -m benchmarks.actions_memory_growth --base-port 30000 --release-every 0 60
"""

from __future__ import annotations

import argparse
import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
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


def play_block(stack: Any, rounds: int, seed: int) -> int:
    """One block on every channel, in its own event loop (one thread per stack)."""
    return sum(asyncio.run(play_rounds(stack, rounds, channel, seed)) for channel in CHANNELS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-port", type=int, default=29000, help="the first stack's; each next one 2,000 above")
    parser.add_argument("--release-every", type=float, nargs="+", default=[60.0], metavar="SECONDS")
    args = parser.parse_args()
    with ExitStack() as resources:
        stacks = [
            resources.enter_context(
                started_stack("default", args.base_port + 2000 * i, env={"MEMORY_RELEASE_EVERY_S": f"{every:g}"})
            )
            for i, every in enumerate(args.release_every)
        ]
        actions = [process_memory.read_pid_dir(stack.var / "run")["actions"] for stack in stacks]
        columns = [f"RSS MiB, release every {every:g} s" for every in args.release_every]
        print(f"| conversations | {' | '.join(columns)} |\n|---:|{'---:|' * len(columns)}")
        conversations = 0
        with ThreadPoolExecutor(len(stacks)) as pool:
            for block, rounds in enumerate(BLOCKS):
                played = list(pool.map(play_block, stacks, [rounds] * len(stacks), [block] * len(stacks)))
                conversations += played[0]
                rss = " | ".join(f"{process_memory.rss_mib(pid):.0f}" for pid in actions)
                print(f"| {conversations} | {rss} |", flush=True)


if __name__ == "__main__":
    main()
