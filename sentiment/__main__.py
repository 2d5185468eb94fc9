"""`python -m sentiment`: the sentiment service (SENTIMENT_HOST/PORT/API_TOKEN/MODEL_DIR/THREADS)."""

from __future__ import annotations

import os
import sys

from sentiment.build import default_model_dir
from sentiment.service import create_app
from service_kit.app import run_service

DEFAULT_PORT = 8105


def main() -> None:
    model_dir = default_model_dir()
    if not (model_dir / "config.json").is_file():
        sys.exit(f"no sentiment model in {model_dir}: run `python -m sentiment.build --out {model_dir}` first")
    threads = max(1, int(os.environ.get("SENTIMENT_THREADS", "1") or "1"))
    run_service("SENTIMENT", DEFAULT_PORT, lambda token: create_app(token, model_dir=model_dir, threads=threads))


if __name__ == "__main__":
    main()
