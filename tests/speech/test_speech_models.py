"""Assembly of Whisper base from its two packages: checked, idempotent, repaired when damaged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from speech.models import BASE_MODEL_SHA256, BASE_MODEL_SIZE, _is_prepared, model_dir, prepare_base, tiny_en_dir

REPO = Path(__file__).resolve().parents[2]


def test_prepare_joins_checks_and_is_idempotent(tmp_path):
    target = prepare_base(tmp_path)
    assert target == tmp_path / "models" / "whisper-base"
    assert (target / "model.bin").stat().st_size == BASE_MODEL_SIZE
    assert {p.name for p in target.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
        "prepared.json",
    }
    assert BASE_MODEL_SHA256 in (target / "prepared.json").read_text()
    stamp = (target / "model.bin").stat().st_mtime_ns
    assert prepare_base(tmp_path) == target and (target / "model.bin").stat().st_mtime_ns == stamp
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".whisper-base-")]


def test_damaged_model_is_assembled_again(tmp_path):
    target = prepare_base(tmp_path)
    with open(target / "model.bin", "r+b") as model:
        model.truncate(1000)
    assert not _is_prepared(target)
    prepare_base(tmp_path)
    assert _is_prepared(target) and (target / "model.bin").stat().st_size == BASE_MODEL_SIZE


def test_command_line_prepare_and_status(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "ASSISTANT_VAR": str(tmp_path)}
    run = [sys.executable, "-m", "speech.models"]
    status = subprocess.run([*run, "status"], env=env, cwd=REPO, capture_output=True, text=True)
    assert status.returncode == 0 and "not prepared" in status.stdout
    prepared = subprocess.run([*run, "prepare"], env=env, cwd=REPO, capture_output=True, text=True)
    assert prepared.returncode == 0, prepared.stderr
    assert str(tmp_path / "models" / "whisper-base") in prepared.stdout
    status = subprocess.run([*run, "status"], env=env, cwd=REPO, capture_output=True, text=True)
    assert "(ready)" in status.stdout


def test_model_dirs(tmp_path):
    assert (tiny_en_dir() / "model.bin").is_file()
    assert model_dir("tiny.en") == tiny_en_dir()
    assert model_dir("base", tmp_path) == tmp_path / "models" / "whisper-base"
