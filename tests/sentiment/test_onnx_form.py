"""The ONNX form the sentiment service runs (sentiment/onnx_form.py) gives torch's numbers, without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sentiment.onnx_form import ONNX_FILES
from sentiment.service import Scorer

REPO = Path(__file__).resolve().parents[2]
MESSAGES = [
    "where is my order 104532?",
    "WHERE IS MY ORDER, THIS IS RIDICULOUS",
    "thanks so much, the boots fit perfectly :)",
    "I have an issue paying with card and I would like to report it",
    "oh great, another delay. fantastic service.",
    "x" * 3000,  # longer than the tokenizer keeps: truncated the same way
]


def test_the_build_writes_both_onnx_forms(model_dir: Path) -> None:
    for name in ONNX_FILES.values():
        assert (model_dir / name).stat().st_size > 10_000_000, name


def test_onnx_float32_scores_what_torch_scores(model_dir: Path) -> None:
    reference = Scorer(model_dir, threads=1, engine="torch").analyse(MESSAGES)
    onnx = Scorer(model_dir, threads=1, engine="onnx").analyse(MESSAGES)
    for ours, theirs in zip(onnx[0], reference[0], strict=True):
        assert ours.keys() == theirs.keys()
        assert all(ours[label] == pytest.approx(theirs[label], abs=1e-4) for label in ours), (ours, theirs)
    assert onnx[1] == pytest.approx(reference[1], abs=1e-4)


def test_the_service_default_runs_without_torch(model_dir: Path) -> None:
    probe = (
        "import sys; from sentiment.service import Scorer; "
        f"s = Scorer({str(model_dir)!r}); s.score(['hello']); "
        "print(s.engine, 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env={"PATH": ""}, cwd=REPO
    )
    assert done.stdout.split() == ["onnx", "False", "False"], done.stdout + done.stderr


def test_a_model_built_before_the_onnx_forms_is_named_in_the_error(model_dir: Path, tmp_path: Path) -> None:
    old = tmp_path / "old-model"
    old.mkdir()
    for item in model_dir.iterdir():
        if item.name not in ONNX_FILES.values():
            (old / item.name).symlink_to(item)
    with pytest.raises(FileNotFoundError, match=r"python -m sentiment\.build"):
        Scorer(old, threads=1, engine="onnx")
