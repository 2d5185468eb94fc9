"""Build the virtual environments, keyed by their lock files.

Rasa 3.6 needs Python 3.10 and old pins (numpy 1.23, TensorFlow 2.12); the action server and the
services live on Python 3.11. The lint tools (import-linter, mypy) get a small venv of their own so
that changing them never rebuilds one of the two big ones. Each venv is built once per lock-file
content into a cache directory outside the checkout (so a fresh clone reuses it) and linked into
the repo as `.venv-<name>`.
A venv is only used once its build finished (a `.complete` marker), so an interrupted build is
never mistaken for a good one.

Standard library only: this runs before any venv exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SHOP_ASSISTANT_CACHE", Path.home() / ".cache" / "shop-assistant"))
PIP_VERSION = "24.0"


@dataclass(frozen=True)
class VenvSpec:
    name: str
    python_version: str  # "3.10" or "3.11"
    lock_file: Path


RASA = VenvSpec("rasa", "3.10", REPO / "requirements" / "rasa.lock")
SERVICES = VenvSpec("services", "3.11", REPO / "requirements" / "services.lock")
LINT = VenvSpec("lint", "3.11", REPO / "requirements" / "lint.lock")
ALL = (RASA, SERVICES, LINT)


def log(message: str) -> None:
    print(f"[setup] {message}", flush=True)


def find_python(version: str) -> str:
    """Find an interpreter of the wanted minor version: env override, PATH, then pyenv."""
    override = os.environ.get(f"PYTHON{version.replace('.', '')}")
    candidates = [override] if override else []
    candidates.append(shutil.which(f"python{version}") or "")
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))]
    for candidate in candidates:
        if candidate and _reports_version(candidate, version):
            return candidate
    raise SystemExit(
        f"Python {version} was not found. Install it (e.g. `pyenv install {version}`) or set "
        f"PYTHON{version.replace('.', '')} to its interpreter."
    )


def _reports_version(python: str, version: str) -> bool:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.stdout.strip() == version


def venv_key(spec: VenvSpec) -> str:
    digest = hashlib.sha256(spec.lock_file.read_bytes() + spec.python_version.encode()).hexdigest()
    return f"{spec.name}-py{spec.python_version}-{digest[:12]}"


def ensure_venv(spec: VenvSpec) -> Path:
    """Return the venv for `spec`, building it only when its lock file changed."""
    target = CACHE / "venvs" / venv_key(spec)
    if not (target / ".complete").exists():
        _build(spec, target)
    else:
        log(f"{spec.name} venv up to date ({target.name})")
    _link(REPO / f".venv-{spec.name}", target)
    return REPO / f".venv-{spec.name}"


def _build(spec: VenvSpec, target: Path) -> None:
    python = find_python(spec.python_version)
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    log(f"building {spec.name} venv with {python} from {spec.lock_file.name} (first time takes minutes)")
    subprocess.run([python, "-m", "venv", str(building)], check=True)
    pip = [str(building / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-q", f"pip=={PIP_VERSION}"], check=True)
    subprocess.run([*pip, "install", "-q", "-r", str(spec.lock_file)], check=True)
    # A venv is not relocatable: rebuild scripts' shebangs by recreating it in place is costly,
    # so we build under the final name's sibling and rename before first use of any script.
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    _fix_shebangs(building, target)
    (target / ".complete").write_text(spec.lock_file.read_text())
    log(f"{spec.name} venv ready")


def _fix_shebangs(old: Path, new: Path) -> None:
    """Point console scripts and activate files at the venv's final path after the rename."""
    old_text, new_text = str(old), str(new)
    for path in (new / "bin").iterdir():
        if not path.is_file() or path.is_symlink():
            continue
        try:
            content = path.read_text()
        except UnicodeDecodeError:
            continue
        if old_text in content:
            path.write_text(content.replace(old_text, new_text))
    cfg = new / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace(old_text, new_text))


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() or link.exists():
        if link.is_symlink() and Path(os.readlink(link)) == target:
            return
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        else:
            link.unlink()
    link.symlink_to(target)


def main() -> None:
    for spec in ALL:
        ensure_venv(spec)


if __name__ == "__main__":
    sys.exit(main())
