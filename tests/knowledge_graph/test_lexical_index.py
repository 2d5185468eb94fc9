"""The lexical (BM25) side of product search: words, updates, persistence and filters.

The searches here rank by words only (`Ranking(dense=False)`), through the SemanticIndex that owns
the lexical index, so filters, slots and persistence are the ones product search really uses.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge_graph.hybrid_ranking import Ranking
from knowledge_graph.lexical_index import LexicalIndex, document_tokens
from knowledge_graph.semantic_search import MANIFEST, IndexItem, SemanticIndex
from tests.knowledge_graph.word_encoder import WordEncoder


class CountingEncoder(WordEncoder):
    def __init__(self) -> None:
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return super().encode(texts)


WORDS = Ranking(dense=False)


def item(pid: str, title: str, rest: str = "", **values: Any) -> IndexItem:
    return IndexItem(pid, f"{title}. {rest}".strip(". "), title=title, **values)


ITEMS = [
    item("rack", "Solid Wood Wine Rack", "holds 6 bottles", min_price=40.0, brand="Concept", category_path=("home",)),
    item("glasses", "Crystal Wine Glasses", "set of 4", min_price=25.0, brand="Riedel", category_path=("home",)),
    item("opener", "Corkscrew", "opens any wine bottle", min_price=9.0, brand="Concept", in_stock=False),
    item("tv44", 'Vizio 44" LED TV', "full HD", min_price=300.0, brand="Vizio", category_path=("electronics",)),
    item("tv40", "Sony 40 inch LED TV", "full HD", min_price=280.0, brand="Sony", category_path=("electronics",)),
    item("drill", "Bosch Drill Driver", "cordless", codes=("GSR18V-400",), category_path=("tools",)),
]


def ids(hits) -> list[str]:
    return [h.product_id for h in hits]


@pytest.fixture
def index() -> SemanticIndex:
    built = SemanticIndex(WordEncoder())
    built.upsert(ITEMS)
    return built


def test_title_words_count_more_than_the_rest(index: SemanticIndex) -> None:
    # "wine" is in three products; in the rack's and the glasses' titles, only in the opener's description.
    found = ids(index.search("wine", 10, ranking=WORDS))
    assert set(found) == {"rack", "glasses", "opener"}
    assert found[-1] == "opener"


def test_sizes_and_skus_are_words_too(index: SemanticIndex) -> None:
    assert ids(index.search("44 inch tv", 10, ranking=WORDS))[0] == "tv44"
    assert ids(index.search('40" tv', 10, ranking=WORDS))[0] == "tv40"
    assert ids(index.search("gsr18v400", 10, ranking=WORDS)) == ["drill"]  # only in the SKU
    assert index.search("no such words", 10, ranking=WORDS) == []


def test_a_changed_title_is_searchable_at_once_and_the_old_words_are_gone(index: SemanticIndex) -> None:
    flutes = "Crystal Champagne Flutes"
    stats = index.upsert([dataclasses.replace(ITEMS[1], title=flutes, text=flutes)])
    assert stats.text_changed == 1
    assert ids(index.search("champagne", 10, ranking=WORDS)) == ["glasses"]
    assert "glasses" not in ids(index.search("wine", 10, ranking=WORDS))


def test_a_new_sku_alone_updates_the_words_without_re_encoding(index: SemanticIndex) -> None:
    stats = index.upsert([dataclasses.replace(ITEMS[0], codes=("WR-44526",))])
    assert stats.encoded == 0  # the embedded text did not change
    assert ids(index.search("WR-44526", 10, ranking=WORDS)) == ["rack"]


def test_price_or_stock_changes_do_not_rebuild_the_engine(index: SemanticIndex) -> None:
    engine = index._lexical.engine
    index.upsert([dataclasses.replace(ITEMS[0], min_price=35.0, in_stock=False)])
    assert index._lexical.engine is engine
    index.upsert([item("new", "Wine Cooler")])
    assert index._lexical.engine is not engine
    assert "new" in ids(index.search("wine cooler", 10, ranking=WORDS))


def test_removed_products_are_never_found_and_their_slot_is_reused(index: SemanticIndex) -> None:
    assert index.remove(["rack"]) == 1
    assert "rack" not in ids(index.search("wine rack", 10, ranking=WORDS))
    index.upsert([item("stool", "Bar Stool")])
    assert ids(index.search("stool", 10, ranking=WORDS)) == ["stool"]
    assert "stool" not in ids(index.search("wine rack", 10, ranking=WORDS))


def test_filters_apply_to_the_words_side(index: SemanticIndex) -> None:
    assert set(ids(index.search("wine", 10, max_price=30, ranking=WORDS))) == {"glasses", "opener"}
    assert set(ids(index.search("wine", 10, brand="concept", ranking=WORDS))) == {"rack", "opener"}
    assert set(ids(index.search("wine", 10, in_stock_only=True, ranking=WORDS))) == {"rack", "glasses"}
    assert ids(index.search("tv", 10, category="electronics", min_price=290, ranking=WORDS)) == ["tv44"]
    assert ids(index.search("wine", 10, among=["opener", "tv40"], ranking=WORDS)) == ["opener"]
    assert index.search("wine", 10, brand="Sony", ranking=WORDS) == []


def test_saved_and_loaded_with_the_vectors_in_one_generation(index: SemanticIndex, tmp_path: Path) -> None:
    index.upsert([dataclasses.replace(ITEMS[0], codes=("WR-44526",))])
    index.remove(["opener"])
    index.save(tmp_path)
    index.upsert([item("later", "Wine Decanter")])
    index.save(tmp_path)  # a second generation; the first stays until the next save
    loaded = SemanticIndex.load(tmp_path, WordEncoder())
    for query in ("wine", "44 inch tv", "WR-44526", "decanter"):
        assert ids(loaded.search(query, 10, ranking=WORDS)) == ids(index.search(query, 10, ranking=WORDS))
    assert "opener" not in ids(loaded.search("corkscrew", 10, ranking=WORDS))
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["format"] == 2
    # The words live in the generation's meta file: no other file a reader could see half-written.
    assert {p.name.split("-")[0] for p in tmp_path.iterdir()} == {"index", "meta", MANIFEST}


def test_an_index_saved_before_words_loads_and_gets_them_without_re_encoding(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    index = SemanticIndex(encoder)
    index.upsert(ITEMS)
    index.save(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    meta = tmp_path / manifest["meta_file"]
    with np.load(meta) as arrays:  # what format 1 wrote: no lexical arrays
        kept = {name: arrays[name] for name in arrays.files if not name.startswith("lexical")}
    with meta.open("wb") as out:
        np.savez(out, **kept)
    (tmp_path / MANIFEST).write_text(json.dumps({**manifest, "format": 1}))

    old = SemanticIndex.load(tmp_path, encoder)
    assert old.lacks_words and len(old) == len(ITEMS)
    assert old.search("wine", 10, ranking=WORDS) == []
    encoded = encoder.texts
    old.upsert(ITEMS)  # what ProductGraph.open does when `lacks_words`
    assert encoder.texts == encoded  # nothing re-encoded
    assert not old.lacks_words
    assert set(ids(old.search("wine", 10, ranking=WORDS))) == {"rack", "glasses", "opener"}


def test_lexical_index_builds_from_a_snapshot_and_keeps_the_newest_engine() -> None:
    lexical = LexicalIndex()
    assert lexical.set(0, *document_tokens("Wine Rack", "Wine Rack. oak"))
    assert not lexical.set(0, *document_tokens("Wine Rack", "Wine Rack. oak"))  # unchanged: no build due
    old = lexical.snapshot()
    lexical.set(1, *document_tokens("Wine Glass", "Wine Glass"))
    new_engine = lexical.build(lexical.snapshot())
    lexical.install(new_engine)
    lexical.install(lexical.build(old))  # a slower, older build finishing last does not win
    assert lexical.engine is new_engine
    assert not lexical.stale
    assert [row for row, _ in lexical.top(["glass"], 5, 2, None)] == [1]
