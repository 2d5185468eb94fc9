"""Quality gate: the trained NLU model must recognise Bitext's customer messages well enough.

Runs benchmarks/nlu_accuracy.py (model only) on every Bitext utterance and fails when the model's
accuracy (an nlu_fallback answer counts as wrong) or macro-F1 is below the floors here. The floors
sit a little below the last measured result (docs/nlu.md) and are raised as the model improves.

Needs the Rasa venv and a trained model: the path in RASA_MODEL, else the newest *.tar.gz in
var/models/ (or var/models-nlu/). Skipped when Rasa, the model or ../shared/data is missing, unless
NLU_GATE_REQUIRED=1 (CI sets it after training), which turns those skips into failures.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.nlu_accuracy import DEFAULT_BITEXT, newest_model, run_benchmark

ACCURACY_FLOOR = 0.95
MACRO_F1_FLOOR = 0.96
REQUIRED = os.environ.get("NLU_GATE_REQUIRED") == "1"


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def bitext_result() -> dict:
    try:
        import rasa  # noqa: F401
    except ImportError:
        _skip_or_fail("Rasa is not installed in this venv (run with the Rasa venv)")
    if not DEFAULT_BITEXT.is_file():
        _skip_or_fail(f"Bitext data not found at {DEFAULT_BITEXT}")
    model = Path(os.environ["RASA_MODEL"]) if os.environ.get("RASA_MODEL") else newest_model()
    if model is None or not model.exists():
        _skip_or_fail("no trained model (set RASA_MODEL or train into var/models/)")
    return run_benchmark(model, baseline=False)["model"]


def test_bitext_accuracy_above_floor(bitext_result):
    worst = sorted(bitext_result["per_intent"].items(), key=lambda kv: kv[1]["f1"])[:5]
    assert bitext_result["accuracy"] >= ACCURACY_FLOOR, (
        f"Bitext accuracy {bitext_result['accuracy']:.4f} < floor {ACCURACY_FLOOR}; "
        f"weakest intents: {[(k, round(v['f1'], 3)) for k, v in worst]}; "
        f"top confusions: {bitext_result['confusions'][:5]}"
    )


def test_bitext_macro_f1_above_floor(bitext_result):
    assert bitext_result["macro_f1"] >= MACRO_F1_FLOOR, f"macro-F1 {bitext_result['macro_f1']:.4f} < {MACRO_F1_FLOOR}"


def test_no_intent_collapses(bitext_result):
    """Every Bitext intent keeps a usable F1: a single broken intent must not hide in the average."""
    weak = {k: round(v["f1"], 3) for k, v in bitext_result["per_intent"].items() if v["f1"] < 0.6}
    assert not weak, f"intents with F1 < 0.6 on Bitext: {weak}"
