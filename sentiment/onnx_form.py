"""The sentiment model as one ONNX graph, run by onnxruntime: no torch in the sentiment service.

The built model (sentiment/build.py) is a frozen MiniLM encoder with two small heads on its final
[CLS] vector. Run by torch it cost about 10 ms of CPU per shopper message and 0.9 GB of memory (torch
itself is most of it: issue 15's per-turn CPU and memory figures). Here the encoder and the sentiment
head are exported as one graph with two outputs, the logits and the [CLS] vector; the frustration
head (two small matrices) runs in numpy on that vector. The tokenizer is the saved tokenizer.json
(with the shouting and identifier-masking rules in its normalizer), read by the `tokenizers` package.

Two forms are written by the build: `model.onnx` (float32, the same numbers as torch up to rounding)
and `model.int8.onnx` (int8 weights with a scale per channel, as the product encoder does). Which one
the service runs is SENTIMENT_ENGINE (`onnx`, `onnx-int8` or `torch`); the side-by-side figures of
accuracy, CPU time and memory are printed by `benchmarks/sentiment_engines.py` (docs/sentiment.md).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.frustration import FRUSTRATION_HEAD, TONE_LABELS

ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}


def export(model_dir: Path) -> None:
    """Writes both ONNX forms of the model saved in `model_dir` beside it (needs torch: build time)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    class LogitsAndCls(torch.nn.Module):
        def __init__(self, classifier: Any) -> None:
            super().__init__()
            self.classifier = classifier

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            output = self.classifier(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                output_hidden_states=True,
            )
            return output.logits, output.hidden_states[-1][:, 0]

    model = LogitsAndCls(AutoModelForSequenceClassification.from_pretrained(str(model_dir)).eval()).eval()
    example = torch.ones((1, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    fp32 = model_dir / ONNX_FILES["onnx"]
    with torch.inference_mode():
        torch.onnx.export(
            model,
            (example, example, torch.zeros_like(example)),
            str(fp32),
            dynamo=False,  # the TorchScript exporter: needs only `onnx`, not onnxscript
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits", "cls"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "logits": {0: "batch"},
                "cls": {0: "batch"},
            },
            opset_version=17,
        )
    quantize_dynamic(
        str(fp32),
        str(model_dir / ONNX_FILES["onnx-int8"]),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
    )


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class NumpyFrustrationHead:
    """sentiment.frustration.FrustrationHead without torch: tanh(dense · cls) -> out -> softmax."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file

        weights = load_file(str(model_dir / FRUSTRATION_HEAD))
        self.dense_w, self.dense_b = weights["dense.weight"], weights["dense.bias"]
        self.out_w, self.out_b = weights["out.weight"], weights["out.bias"]

    def probabilities(self, cls: np.ndarray) -> list[float]:
        """P(frustrated) for each row of [CLS] vectors (n, hidden)."""
        hidden = np.tanh(cls @ self.dense_w.T + self.dense_b)
        logits = hidden @ self.out_w.T + self.out_b
        return [float(p) for p in softmax(logits)[:, TONE_LABELS.index("frustrated")]]


class OnnxAnalyser:
    """One encoder pass per text in onnxruntime, both heads' probabilities from it."""

    def __init__(
        self, model_dir: Path, labels: list[str], *, max_tokens: int, engine: str = "onnx", threads: int = 1
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        started = time.perf_counter()
        path = Path(model_dir) / ONNX_FILES[engine]
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: rebuild the model with `python -m sentiment.build`")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.no_padding()
        self._labels = labels
        self._frustration = NumpyFrustrationHead(Path(model_dir))
        self.load_seconds = time.perf_counter() - started

    def analyse(self, texts: list[str]) -> tuple[list[dict[str, float]], list[float]]:
        """Texts one at a time, as the torch form does: no padding, so a text scores the same alone
        or in a batch."""
        probabilities: list[dict[str, float]] = []
        cls_rows: list[np.ndarray] = []
        for text in texts:
            encoding = self._tokenizer.encode(text)
            feed = {
                "input_ids": np.array([encoding.ids], dtype=np.int64),
                "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
            }
            logits, cls = self._session.run(None, feed)
            row = softmax(logits[0])
            probabilities.append({label: float(p) for label, p in zip(self._labels, row, strict=True)})
            cls_rows.append(cls)
        return probabilities, self._frustration.probabilities(np.concatenate(cls_rows)) if cls_rows else []
