"""How long the Rasa server takes to load a trained model, and how big the model is.

Every start of the assistant, every restart after a crash and every end-to-end test stack pays the
load. Rasa's own CRFEntityExtractor fitted its CRFs again at each load (96 s of 102 s with the
training variations); nlu/stored_crf_entity_extractor.py stores them instead. Loads each model given
``--repeat`` times in this process (the first load includes TensorFlow's warm-up) and prints the
archive size and the load times. Run in the Rasa venv:

    .venv-rasa/bin/python benchmarks/model_load.py                       # var/models/shop-assistant.tar.gz
    .venv-rasa/bin/python benchmarks/model_load.py --model a.tar.gz --model b.tar.gz --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the model names the repo's graph components (nlu.*) by module path
DEFAULT_MODEL = REPO_ROOT / "var" / "models" / "shop-assistant.tar.gz"


def load_seconds(model: Path) -> float:
    from rasa.core.agent import load_agent

    started = time.perf_counter()
    agent = asyncio.run(load_agent(model_path=str(model)))
    elapsed = time.perf_counter() - started
    if not agent.is_ready():
        raise SystemExit(f"{model} did not load")
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", type=Path, help="a trained model (repeatable)")
    parser.add_argument("--repeat", type=int, default=2, help="loads per model (default 2)")
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    logging.disable(logging.WARNING)
    print(f"{'model':<48} {'MB':>7}  load s (each repeat)")
    for model in args.model or [DEFAULT_MODEL]:
        times = [load_seconds(model) for _ in range(args.repeat)]
        size_mb = model.stat().st_size / 1e6
        print(f"{str(model)[-48:]:<48} {size_mb:>7.1f}  " + "  ".join(f"{t:.2f}" for t in times))


if __name__ == "__main__":
    main()
