"""Speech quality and speed: word error rate of the packaged Whisper models on shop utterances spoken by
Piper and by espeak-ng, at 16 kHz and through the telephone (8 kHz G.711 mu-law), side by side in one run;
real-time factor of recognition per model and of synthesis per engine.

Utterances are fixed (order numbers from the demo orders, product names, colours and sizes from
catalogue_files/demo/catalogue.csv). Text is normalised before scoring (speech/text.py): "12345",
"1-2-3-4-5" and "one two three four five" count as the same words. Piper's voice varies slightly from
take to take (its noise is sampled; `--takes 3` scores three takes of each utterance), espeak-ng is
deterministic. RTF = processing time / audio duration (below 1 is faster than real time); on a shared
machine it depends on the load printed with the table.

The telephone path is the gateway's: 8 kHz G.711 mu-law in 20 ms frames through the streaming decoder
(`MulawStreamDecoder`) with each soxr quality of `--resamplers`. `--chunks` compares the lengths Whisper's
input is padded to (SPEECH_CHUNK_S; 30 = Whisper's own). `--compute-types` compares CTranslate2's weight
types (SPEECH_COMPUTE_TYPE): each loads its own copy of the weights, and every setting hears the same clips.

    python benchmarks/speech_quality.py
    python benchmarks/speech_quality.py --engines piper --takes 3 --prompts catalogue --markdown
    python benchmarks/speech_quality.py --models base --engines piper --beam 5 --prompts catalogue --errors
    python benchmarks/speech_quality.py --prompts catalogue --chunks 30,20,15 --resamplers HQ,QQ --markdown
    python benchmarks/speech_quality.py --prompts catalogue --compute-types int8,float32 --markdown --errors
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from speech.audio import SAMPLE_RATE, STREAM_QUALITY, MulawStreamDecoder, pcm16_to_mulaw, resample  # noqa: E402
from speech.prompts import catalogue_prompt  # noqa: E402
from speech.recognition import load_recognizer  # noqa: E402
from speech.settings import COMPUTE_TYPES, DEFAULT_CHUNK_S, DEFAULT_COMPUTE_TYPE  # noqa: E402
from speech.synthesis import load_synthesizer  # noqa: E402
from speech.text import digits, word_errors  # noqa: E402

UTTERANCES = [
    "where is my order three eight zero seven four six",
    "i want to track order two four six four one three",
    "my order number is one six nine four zero three",
    "can you check the status of order eight five two seven eight seven",
    "my order four two nine nine six three arrived damaged",
    "can i change the delivery address for order three two two nine five five",
    "do you have the storm rain jacket in blue size medium",
    "is the alpine softshell jacket available in black",
    "i would like the granite hiking boots in size nine",
    "how much is the summit down jacket",
    "do you sell the merino crew t-shirt in olive",
    "i need the organic cotton tee in white size large",
    "is the polar fleece vest warm enough for winter",
    "what colours does the everyday hoodie come in",
    "i want to return the trail runner shoes",
    "the wool beanie in forest green please",
    "does the kestrel k five have a screen protector",
    "is the wireless charging pad in stock",
    "add the insulated water bottle in yellow to my cart",
    "i am looking for the linen camp shirt in sage size small",
    "the stretch trail chinos with a thirty two waist",
    "do you have the down sleeping bag",
    "i want the cable knit wool sweater in cream size extra large",
    "can i get the rechargeable headlamp delivered tomorrow",
    "the enamel camp mug in red please",
    "i would like a refund for the wrap midi dress",
    "do you have the ocean blue shirt in size medium",
    "are the carbon trekking poles in stock",
    "i want to speak to a human agent",
    "apply my coupon code and tell me the total",
]
ORDER_DIGITS = {text: digits(text) for text in UTTERANCES if "order" in text and digits(text)}
MULAW_FRAME = 160  # bytes: 20 ms at 8 kHz, as Twilio sends them


@dataclass
class Synthesis:
    engine: str
    utterances: int
    audio_s: float
    seconds: float

    @property
    def rtf(self) -> float:
        return self.seconds / self.audio_s


@dataclass
class Recognition:
    model: str
    compute_type: str
    engine: str
    path: str  # "16k" or "phone-<soxr quality>"
    prompt: str
    chunk_s: int
    words: int
    errors: int
    orders_exact: int
    orders: int
    audio_s: float
    seconds: float
    latencies: list[float]
    worst: list[tuple[float, str, str]]

    @property
    def wer(self) -> float:
        return self.errors / self.words

    @property
    def rtf(self) -> float:
        return self.seconds / self.audio_s


def synthesize_all(engine: str, threads: int, takes: int) -> tuple[Synthesis, list[np.ndarray]]:
    """Every utterance `takes` times for Piper (its voice varies), once for the deterministic espeak-ng."""
    synthesizer = load_synthesizer(engine, threads=threads) if engine == "piper" else load_synthesizer(engine)
    synthesizer.synthesize("warm up")
    clips, seconds, audio_s = [], 0.0, 0.0
    for text in UTTERANCES * (takes if engine == "piper" else 1):
        started = time.perf_counter()
        speech = synthesizer.synthesize(text)
        seconds += time.perf_counter() - started
        audio_s += speech.duration_s
        clips.append(resample(speech.pcm, speech.sample_rate, SAMPLE_RATE))
    return Synthesis(engine, len(clips), audio_s, seconds), clips


def phone(pcm16k: np.ndarray, quality: str) -> np.ndarray:
    """The clip as the gateway hears it: mu-law frames of 20 ms, decoded and resampled as a stream."""
    mulaw = pcm16_to_mulaw(pcm16k, SAMPLE_RATE)
    decoder = MulawStreamDecoder(quality=quality)
    parts = [decoder.decode(mulaw[i : i + MULAW_FRAME]) for i in range(0, len(mulaw), MULAW_FRAME)]
    return np.concatenate([*parts, decoder.flush()])


def path_label(path: str) -> str:
    return "16 kHz" if path == "16k" else f"8 kHz mu-law, stream {path.removeprefix('phone-')}"


def recognize_all(
    model: str,
    engine: str,
    path: str,
    clips: list[np.ndarray],
    args: argparse.Namespace,
    prompt: str,
    chunk_s: int,
    compute_type: str,
) -> Recognition:
    """Transcribe every clip; prompt "catalogue" uses speech.prompts.catalogue_prompt(), "none" no prompt."""
    recognizer = load_recognizer(
        model, threads=args.threads, beam_size=args.beam, chunk_s=chunk_s, compute_type=compute_type
    )
    result = Recognition(model, compute_type, engine, path, prompt, chunk_s, 0, 0, 0, 0, 0.0, 0.0, [], [])
    prompt_text = catalogue_prompt() if prompt == "catalogue" else ""
    for text, clip in zip(UTTERANCES * (len(clips) // len(UTTERANCES)), clips, strict=True):
        audio = phone(clip, path.removeprefix("phone-")) if path != "16k" else clip
        started = time.perf_counter()
        transcript = recognizer.transcribe(audio, prompt=prompt_text)
        elapsed = time.perf_counter() - started
        errors, words = word_errors(text, transcript.text)
        result.errors += errors
        result.words += words
        result.seconds += elapsed
        result.audio_s += audio.size / SAMPLE_RATE
        result.latencies.append(elapsed)
        if text in ORDER_DIGITS:
            result.orders += 1
            result.orders_exact += ORDER_DIGITS[text] == digits(transcript.text)
        if errors:
            result.worst.append((errors / words, text, transcript.text))
    result.worst.sort(reverse=True)
    return result


def render(synth: list[Synthesis], recog: list[Recognition], markdown: bool, header: str) -> str:
    rows = [
        [
            "model",
            "weights",
            "prompt",
            "padded to",
            "voice",
            "audio path",
            "WER",
            "order numbers exact",
            "RTF",
            "median s / utterance",
        ]
    ]
    for r in recog:
        rows.append(
            [
                r.model,
                r.compute_type,
                r.prompt,
                f"{r.chunk_s} s",
                r.engine,
                path_label(r.path),
                f"{100 * r.wer:.1f} %",
                f"{r.orders_exact}/{r.orders}",
                f"{r.rtf:.3f}",
                f"{statistics.median(r.latencies):.2f}",
            ]
        )
    by_model: dict[tuple[str, str, str, int], list[Recognition]] = {}
    for r in recog:
        by_model.setdefault((r.model, r.compute_type, r.prompt, r.chunk_s), []).append(r)
    for (model, compute_type, prompt, chunk_s), results in by_model.items():
        words, errors = sum(r.words for r in results), sum(r.errors for r in results)
        exact, orders = sum(r.orders_exact for r in results), sum(r.orders for r in results)
        rtf = sum(r.seconds for r in results) / sum(r.audio_s for r in results)
        wer = f"{100 * errors / words:.1f} %"
        median = statistics.median(x for r in results for x in r.latencies)
        summary = [model, compute_type, prompt, f"{chunk_s} s", "all", "all", wer, f"{exact}/{orders}"]
        rows.append([*summary, f"{rtf:.3f}", f"{median:.2f}"])
    synth_rows = [["voice", "utterances", "audio s", "synthesis s", "RTF"]]
    for s in synth:
        synth_rows.append([s.engine, str(s.utterances), f"{s.audio_s:.1f}", f"{s.seconds:.2f}", f"{s.rtf:.3f}"])
    return header + "\n\n" + table(rows, markdown) + "\n\n" + table(synth_rows, markdown)


def table(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows[1:]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="tiny.en,base", help="comma-separated: tiny.en,base")
    p.add_argument("--engines", default="piper,espeak", help="comma-separated: piper,espeak")
    p.add_argument("--threads", type=int, default=1, help="CPU threads per model (1-2 on a shared machine)")
    p.add_argument("--beam", type=int, default=1, help="Whisper beam size (1 = greedy, the default)")
    p.add_argument(
        "--prompts", default="none,catalogue", help="recognition prompts to compare: none,catalogue (speech/prompts.py)"
    )
    p.add_argument("--takes", type=int, default=1, help="Piper takes per utterance (its voice varies per take)")
    p.add_argument("--chunks", default=str(DEFAULT_CHUNK_S), help="seconds Whisper's input is padded to, e.g. 30,20,15")
    p.add_argument(
        "--compute-types",
        default=DEFAULT_COMPUTE_TYPE,
        help=f"CTranslate2 weight types to compare, e.g. int8,float32 (of {', '.join(COMPUTE_TYPES)})",
    )
    p.add_argument(
        "--resamplers", default=STREAM_QUALITY, help="soxr qualities of the telephone path's stream decoder, e.g. HQ,QQ"
    )
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    p.add_argument("--errors", action="store_true", help="also print the worst transcripts")
    p.add_argument("--json", type=Path, help="write the raw results here")
    args = p.parse_args(argv)
    models, engines = args.models.split(","), args.engines.split(",")
    prompts = args.prompts.split(",")
    if not set(prompts) <= {"none", "catalogue"}:
        p.error("--prompts takes none and/or catalogue")
    chunks = [int(c) for c in args.chunks.split(",")]
    compute_types = args.compute_types.split(",")
    if not set(compute_types) <= set(COMPUTE_TYPES):
        p.error(f"--compute-types takes {', '.join(COMPUTE_TYPES)}")
    paths = ["16k", *(f"phone-{q}" for q in args.resamplers.split(","))]

    load = os.getloadavg()
    started = time.perf_counter()
    synth, clips = [], {}
    for engine in engines:
        result, clips[engine] = synthesize_all(engine, args.threads, args.takes)
        synth.append(result)
    recog = []
    for model in models:
        for compute_type in compute_types:
            recognizer = load_recognizer(model, threads=args.threads, beam_size=args.beam, compute_type=compute_type)
            recognizer.transcribe(clips[engines[0]][0])  # warm up
            for prompt in prompts:
                for chunk_s in chunks:
                    for engine in engines:
                        for path in paths:
                            clip_set = clips[engine]
                            recog.append(
                                recognize_all(model, engine, path, clip_set, args, prompt, chunk_s, compute_type)
                            )
    header = (
        f"{len(UTTERANCES)} utterances ({len(ORDER_DIGITS)} with a 6-digit order number), Piper takes={args.takes}, "
        f"threads={args.threads}, "
        f"beam={args.beam}, load average at start {load[0]:.1f}/{load[1]:.1f}, "
        f"{os.cpu_count()} CPUs, run took {time.perf_counter() - started:.0f} s"
    )
    print(render(synth, recog, args.markdown, header))
    if args.errors:
        for r in recog:
            setting = f"{r.model} / {r.compute_type} / prompt {r.prompt} / padded to {r.chunk_s} s"
            print(f"\n{setting} / {r.engine} / {r.path}:")
            for rate, reference, hypothesis in r.worst[:5]:
                print(f"  {100 * rate:5.1f} %  {reference!r} -> {hypothesis!r}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"synthesis": [asdict(s) | {"rtf": s.rtf} for s in synth]}
        payload["recognition"] = [asdict(r) | {"wer": r.wer, "rtf": r.rtf} for r in recog]
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
