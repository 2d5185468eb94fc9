"""`python -m backends.recommendations.train`: full retrain from the interaction log to the model file.

The running service picks the new file up on restart; between retrains, new interactions already
count through request-time fold-in of the shopper's profile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path

from backends.recommendations.db import create_tables, default_db_url, make_engine, make_sessions
from backends.recommendations.items import demo_items
from backends.recommendations.service import RecommendationService
from backends.recommendations.settings import Settings, default_model_path


async def retrain(db_url: str, model_path: Path) -> str:
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        service = RecommendationService(make_sessions(engine), demo_items(), Settings(model_path=None))
        started = time.perf_counter()
        model = await service.retrain()
        model.save(model_path)
        seconds = time.perf_counter() - started
        return (
            f"trained on {model.matrix.nnz} user-item pairs: {len(model.users)} users, {len(model.items)} items, "
            f"{model.similarity.nnz} item neighbours in {seconds:.2f}s -> {model_path}"
        )
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("RECS_DB_URL") or default_db_url())
    parser.add_argument("--model", type=Path, default=Settings.from_env().model_path or default_model_path(os.environ))
    args = parser.parse_args(argv)
    print(asyncio.run(retrain(args.db_url, args.model)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
