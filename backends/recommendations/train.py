"""`python -m backends.recommendations.train`: full retrain from the interaction log to the model file.

Items come from the knowledge graph (KG_URL), else the last snapshot of it, else — with no graph
configured — the demo catalogue. The running service notices the new file within RECS_MODEL_POLL_S
(or at once on POST /admin/reload) and swaps it in without a restart; between retrains, new
interactions already count through request-time fold-in of the shopper's profile.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from backends.recommendations.db import create_tables, default_db_url, make_engine, make_sessions
from backends.recommendations.items import ItemCatalogue
from backends.recommendations.service import RecommendationService
from backends.recommendations.settings import Settings, default_model_path
from backends.recommendations.sources import ItemSource, source_from_env


class NoCatalogue(Exception):
    pass


async def retrain(db_url: str, model_path: Path, settings: Settings, source: ItemSource) -> str:
    engine = make_engine(db_url)
    try:
        await create_tables(engine)
        service = RecommendationService(
            make_sessions(engine), ItemCatalogue([]), settings.model_copy(update={"model_path": None}), source=source
        )
        if await service.start_items() == "none":
            raise NoCatalogue(f"the {source.name} cannot be read and there is no item snapshot yet")
        started = time.perf_counter()
        model = await service.retrain()
        model.save(model_path)
        seconds = time.perf_counter() - started
        return (
            f"trained on {model.matrix.nnz} user-item pairs: {len(model.users)} users, {len(model.items)} items "
            f"({len(service.items.items)} from the {service.items_source}), {model.similarity.nnz} item neighbours "
            f"in {seconds:.2f}s -> {model_path}"
        )
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default=os.environ.get("RECS_DB_URL") or default_db_url())
    settings = Settings.from_env()
    parser.add_argument("--model", type=Path, default=settings.model_path or default_model_path(os.environ))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    source = source_from_env(os.environ, settings.graph_timeout_s, settings.graph_page_size)
    try:
        print(asyncio.run(retrain(args.db_url, args.model, settings, source)))
    except NoCatalogue as error:
        print(f"not trained: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
