"""Set up and run the whole test suite: `make test` (CI calls it through .ci/run).

Order: environments → system services the tests need (PostgreSQL, Redis, Chromium; installed with
apt-get when missing, never skipped) → chat widget → model (trained only when inputs changed) →
lint → unit/integration/end-to-end tests in both venvs → `rasa test` on held-out NLU examples and
test stories. Stops at the first failing step and says which.

`python3 tests/run_all.py lint` (`make lint`) sets up the environments and runs only the lint steps:
ruff, the import-linter contracts and mypy (configured in pyproject.toml).

Standard library only: it runs before the venvs exist.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bot"))
import environments  # noqa: E402
import launcher  # noqa: E402

RASA_BIN = REPO / ".venv-rasa" / "bin"
SERVICES_BIN = REPO / ".venv-services" / "bin"
LINT_BIN = REPO / ".venv-lint" / "bin"
RESULTS = REPO / "var" / "test-results"
# Tests that import rasa run in the Rasa venv; everything else in the services venv.
RASA_VENV_TESTS = ["tests/rasa", "tests/nlu"]
# contracts/ must work in both venvs, so its tests run in the Rasa venv too (and in the services venv).
BOTH_VENV_TESTS = ["tests/contracts"]
SYSTEM_PACKAGES = {
    "postgresql": lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")),
    "redis-server": lambda: shutil.which("redis-server") is not None,
    # The load balancer in front of several Rasa workers (bot/balancer.py, tests/e2e/test_rasa_workers.py).
    "haproxy": lambda: shutil.which("haproxy") is not None or Path("/usr/sbin/haproxy").exists(),
    # The event stream's broker (channels/event_stream.py, tests/support/rabbitmq.py; docs/scaling.md).
    "rabbitmq-server": lambda: Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists(),
    "chromium": lambda: Path("/usr/bin/chromium").exists(),
    # The Neo4j dev server (knowledge_graph/neo4j_server) is compiled from Maven Central artifacts.
    "openjdk-17-jdk-headless": lambda: shutil.which("javac") is not None,
    "maven": lambda: shutil.which("mvn") is not None,
    # Test utterances are also spoken by espeak-ng (the optional GPL speech engine).
    "espeak-ng": lambda: shutil.which("espeak-ng") is not None,
    # A real Request Tracker 5 for the ticket connector tests (REST2 API, SQLite database).
    "request-tracker5": lambda: Path("/usr/share/request-tracker5/libexec/rt-server").exists(),
    "rt5-db-sqlite": lambda: Path("/usr/share/doc/rt5-db-sqlite").exists(),
    # rt-server's web server (Starlet); only one of several alternatives request-tracker5 accepts.
    "rt5-standalone": lambda: Path("/usr/share/perl5/Starlet.pm").exists(),
}


def step(name: str, command: list[str], **kwargs) -> None:
    print(f"\n=== {name}\n$ {' '.join(command)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=REPO, **kwargs)
    print(
        f"=== {name}: {'ok' if result.returncode == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s", flush=True
    )
    if result.returncode != 0:
        raise SystemExit(f"test step failed: {name}")


def ensure_system_packages() -> None:
    missing = [name for name, present in SYSTEM_PACKAGES.items() if not present()]
    if not missing:
        return
    install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise SystemExit(f"the tests need {', '.join(missing)}: run `sudo {' '.join(install)}`")
        install = ["sudo", "-n", *install]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    step("apt-get update", [*install[: install.index("apt-get") + 1], "update", "-q"], env=env)
    step(f"install {', '.join(missing)}", install, env=env)


def lint() -> None:
    """Ruff, the layering contracts and the type checker: the one list `make lint` and CI both run."""
    step("ruff lint", [str(SERVICES_BIN / "ruff"), "check", "."])
    step("ruff format", [str(SERVICES_BIN / "ruff"), "format", "--check", "."])
    step("import-linter contracts", [str(LINT_BIN / "lint-imports"), "--no-logo"])
    step("mypy (services venv)", [str(LINT_BIN / "mypy")])
    # The Rasa server imports contracts/ too, and runs the plugins: check them against its venv and
    # Python 3.10. channels/voice/ and channels/web/ run in the services venv (checked above).
    step(
        "mypy contracts, nlu, channels (Rasa venv)",
        [
            str(LINT_BIN / "mypy"),
            "--python-executable",
            str(RASA_BIN / "python"),
            "--python-version",
            "3.10",
            "--exclude",
            "^channels/(voice|web)/",
            "contracts",
            "nlu",
            "channels",
        ],
    )


def main() -> None:
    if sys.argv[1:] == ["lint"]:
        environments.main()
        lint()
        return
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    environments.main()
    ensure_system_packages()
    launcher.install_widget()
    env = launcher.environment(launcher.var_dir())
    model = launcher.train(env)
    launcher.build_models(env)
    # tests/deploy runs `helm lint`/`helm template` offline: helm is built from its Go module once per
    # version into the cache (tools/helm_binary.py; about 7 minutes the first time, docs/scaling.md).
    step("helm for the chart checks", [sys.executable, "-m", "tools.helm_binary"])
    # NLU_GATE_REQUIRED: the Bitext quality gate must run, never skip, in this suite.
    test_env = {**env, "RASA_MODEL": str(model), "PYTHONPATH": str(REPO), "NLU_GATE_REQUIRED": "1"}

    lint()
    step(
        "pytest (Rasa venv)",
        [
            str(RASA_BIN / "python"),
            "-m",
            "pytest",
            "-q",
            *RASA_VENV_TESTS,
            *BOTH_VENV_TESTS,
            f"--junitxml={RESULTS / 'rasa.xml'}",
        ],
        env=test_env,
    )
    ignores = [f"--ignore={path}" for path in RASA_VENV_TESTS]
    step(
        "pytest (services venv: unit, backends, end-to-end, browser)",
        [
            str(SERVICES_BIN / "python"),
            "-m",
            "pytest",
            "-q",
            "tests",
            *ignores,
            f"--junitxml={RESULTS / 'services.xml'}",
        ],
        env=test_env,
    )
    step(
        "rasa test nlu (held-out examples)",
        [
            str(RASA_BIN / "rasa"),
            "test",
            "nlu",
            "--nlu",
            "tests/nlu/test_nlu.yml",
            "--domain",
            "bot/domain.yml",
            "--model",
            str(model),
            "--out",
            str(RESULTS / "nlu"),
        ],
        env=test_env,
    )
    step(
        "rasa test core (test stories)",
        [
            str(RASA_BIN / "rasa"),
            "test",
            "core",
            "--stories",
            "tests/stories",
            "--model",
            str(model),
            "--out",
            str(RESULTS / "core"),
            "--fail-on-prediction-errors",
        ],
        env=test_env,
    )
    print(f"\nAll test steps passed in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
