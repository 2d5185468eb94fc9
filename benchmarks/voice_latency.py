"""Voice-to-voice latency of the voice gateway: end of the caller's speech → first byte of reply audio.

A simulated telephony provider (tools/phone_client.py) calls the running gateway exactly like
Twilio Media Streams: 20 ms mu-law frames at 8 kHz, in real time, continuously (silence between
utterances). Utterances are synthesised by Piper before the run and trimmed, so "end of speech" is
the moment their last frame is sent. The turns need no backend call (greeting, policy answers,
bot challenge), so the figure is the voice pipeline: end-of-turn detection, recognition, Rasa, the
action server, synthesis of the first sentence.

Two phases: one call at a time (`--turns` turns), then `--concurrent` simultaneous calls (each
`--turns` turns, started 0.7 s apart). Printed per phase: p50/p95/max latency, underrun frames
(20 ms of silence heard *inside* a reply because its next sentence came late) and, from the
gateway's /health, inbound frames lost (sequence gaps) or unusable.

    python3 bot/launcher.py start
    .venv-services/bin/python benchmarks/voice_latency.py --turns 12 --concurrent 2 --json var/bench/voice.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.turn_latency.stats import percentile  # noqa: E402
from speech.audio import SAMPLE_RATE, resample  # noqa: E402
from speech.synthesis import load_synthesizer  # noqa: E402
from tools.phone_client import PhoneCall, trim_silence  # noqa: E402

# Turns answered without a backend call (responses, policy texts from the local file).
UTTERANCES = ("Hello!", "What payment methods do you accept?", "Are you a bot?", "How long does delivery take?")


@dataclass
class PhaseResult:
    name: str
    calls: int
    latencies_s: list[float] = field(default_factory=list)
    missing_replies: int = 0
    underrun_frames: int = 0
    inbound_gaps: int = 0
    bad_frames: int = 0

    def summary(self) -> dict[str, Any]:
        values = sorted(self.latencies_s)
        return {
            "phase": self.name,
            "calls": self.calls,
            "turns": len(values),
            "p50_s": round(percentile(values, 50), 3) if values else None,
            "p95_s": round(percentile(values, 95), 3) if values else None,
            "max_s": round(values[-1], 3) if values else None,
            "missing_replies": self.missing_replies,
            "underrun_frames": self.underrun_frames,
            "inbound_frames_lost": self.inbound_gaps,
            "inbound_frames_unusable": self.bad_frames,
        }


async def gateway_stats(health_url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(health_url) as response:
        response.raise_for_status()
        return await response.json()


async def one_call(url: str, token: str, speech: list[tuple[Any, int]], turns: int, result: PhaseResult) -> None:
    call = await PhoneCall(url, token=token).connect()
    try:
        await call.wait_reply(0.0, timeout_s=60)  # the greeting, played to the end
        for turn in range(turns):
            pcm, rate = speech[turn % len(speech)]
            ended = await call.say(pcm, rate)
            reply = await call.wait_reply(ended, timeout_s=60)
            if reply.first_at is None:
                result.missing_replies += 1
                continue
            result.latencies_s.append(reply.first_at - ended)
            result.underrun_frames += reply.underrun_frames
    finally:
        await call.close()


async def phase(name: str, args: argparse.Namespace, speech: list[tuple[Any, int]], calls: int) -> PhaseResult:
    result = PhaseResult(name, calls)
    before = (await gateway_stats(args.health))["calls"]

    async def staggered(index: int) -> None:
        await asyncio.sleep(0.7 * index)
        await one_call(args.url, args.token, speech[index:] + speech[:index], args.turns, result)

    await asyncio.gather(*(staggered(i) for i in range(calls)))
    after = (await gateway_stats(args.health))["calls"]
    result.inbound_gaps = after["sequence_gaps"] - before["sequence_gaps"]
    result.bad_frames = after["bad_frames"] - before["bad_frames"]
    return result


def default_token() -> str | None:
    secrets = Path(os.environ.get("ASSISTANT_VAR", REPO_ROOT / "var")) / "secrets.env"
    if os.environ.get("VOICE_GATEWAY_TOKEN"):
        return os.environ["VOICE_GATEWAY_TOKEN"]
    if secrets.exists():
        for line in secrets.read_text().splitlines():
            if line.startswith("VOICE_GATEWAY_TOKEN="):
                return line.split("=", 1)[1].strip()
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    port = os.environ.get("VOICE_PORT", "8107")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"ws://127.0.0.1:{port}/voice/stream")
    parser.add_argument("--health", default=f"http://127.0.0.1:{port}/health")
    parser.add_argument("--token", default=default_token(), help="VOICE_GATEWAY_TOKEN (default: var/secrets.env)")
    parser.add_argument("--turns", type=int, default=12, help="turns per call")
    parser.add_argument("--concurrent", type=int, default=2, help="simultaneous calls in the second phase")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("no gateway token: pass --token or set VOICE_GATEWAY_TOKEN / ASSISTANT_VAR")
    return args


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    synthesizer = load_synthesizer("piper")
    speech = []
    for text in UTTERANCES:
        spoken = synthesizer.synthesize(text)
        speech.append((trim_silence(resample(spoken.pcm, spoken.sample_rate, SAMPLE_RATE), SAMPLE_RATE), SAMPLE_RATE))
    health = await gateway_stats(args.health)
    print(f"gateway: recognizer {health['recognizer']}, synthesizer {health['synthesizer']}", flush=True)
    started = time.monotonic()
    results = [await phase("one call", args, speech, 1)]
    if args.concurrent > 1:
        results.append(await phase(f"{args.concurrent} simultaneous calls", args, speech, args.concurrent))
    summaries = [r.summary() for r in results]
    header = ("turns", "p50 s", "p95 s", "max s", "underrun", "lost in", "missing")
    print(f"{'phase':26} " + " ".join(f"{h:>8}" for h in header))
    for s in summaries:
        print(
            f"{s['phase']:26} {s['turns']:>8} {s['p50_s']!s:>8} {s['p95_s']!s:>8} {s['max_s']!s:>8} "
            f"{s['underrun_frames']:>8} {s['inbound_frames_lost']:>8} {s['missing_replies']:>8}"
        )
    print(
        f"(underrun: 20 ms frames of silence inside replies; lost in: caller frames the gateway never got; "
        f"{time.monotonic() - started:.0f} s)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"gateway": {k: health[k] for k in ("recognizer", "synthesizer")}, "phases": summaries}
        payload["raw"] = [asdict(r) for r in results]
        args.json.write_text(json.dumps(payload, indent=2))
    failed = any(s["missing_replies"] or s["inbound_frames_lost"] for s in summaries)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
