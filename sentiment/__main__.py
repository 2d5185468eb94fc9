"""`python -m sentiment`: the sentiment service (SENTIMENT_HOST/PORT/API_TOKEN/MODEL_DIR/THREADS)."""

from __future__ import annotations

import sys

from sentiment.service import create_app
from sentiment.settings import SentimentSettings
from service_kit.app import run_service

DEFAULT_PORT = 8105


def main() -> None:
    settings = SentimentSettings.from_env()
    model_dir, threads = settings.model_folder, settings.threads
    if not (model_dir / "config.json").is_file():
        sys.exit(f"no sentiment model in {model_dir}: run `python -m sentiment.build --out {model_dir}` first")
    run_service("SENTIMENT", DEFAULT_PORT, lambda token: create_app(token, model_dir=model_dir, threads=threads))


if __name__ == "__main__":
    main()
