"""Record the Piper takes that the speech tests transcribe; run once, not by the tests.

Why: Piper samples noise for every take, so its voice differs from take to take, and Whisper base
writes about 1 in 15 takes of "where is my order one two three four five" as "Where's my OR12345?".
A test that synthesises its input in each session asserts on a random input. The tests therefore
read one fixed take per utterance from this directory (`tests/speech/conftest.py`, fixture `spoken`);
how the recognisers do across many takes is what `benchmarks/speech_quality.py --takes N` measures.

The procedure is fixed so that nobody picks among takes: a fresh Piper worker with the packaged voice
(`load_synthesizer("piper")`, as the product speaks), each utterance of `speech_fixtures.UTTERANCES`
once, in that order, resampled to 16 kHz like every other test input, written as 16-bit mono WAV.
The first take is the one kept. Existing files are left alone unless --overwrite is given; a new
recording changes what the tests check, so say why in the commit.

    cd /work/main && PYTHONPATH=.:tests/speech .venv-services/bin/python tests/speech/data/record_piper_takes.py
"""

from __future__ import annotations

import argparse
import wave

from speech_fixtures import UTTERANCES, piper_take_path

from speech.audio import SAMPLE_RATE, resample
from speech.synthesis import load_synthesizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overwrite", action="store_true", help="replace takes that are already recorded")
    args = parser.parse_args(argv)
    piper = load_synthesizer("piper")
    for key, text in UTTERANCES.items():
        path = piper_take_path(key)
        if path.exists() and not args.overwrite:
            print(f"{path} exists, kept (--overwrite to record it again)")
            continue
        speech = piper.synthesize(text)
        pcm = resample(speech.pcm, speech.sample_rate, SAMPLE_RATE)
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes(pcm.astype("<i2").tobytes())
        print(f"{path}: {piper.name}, {pcm.size / SAMPLE_RATE:.2f} s of {text!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
