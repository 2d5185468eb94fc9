"""The launcher's process commands and secrets, without starting anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bot"))

import launcher  # noqa: E402  (bot/launcher.py is a stdlib script, not a package)


def test_a_token_starting_with_a_dash_reaches_rasa_as_the_tokens_value(tmp_path: Path) -> None:
    env = launcher.environment(tmp_path)
    env["RASA_API_TOKEN"] = "-starts-with-a-dash"
    rasa = next(p for p in launcher.processes(env) if p.name == "rasa")
    parser = argparse.ArgumentParser()
    parser.add_argument("-t", "--auth-token")
    parsed, _ = parser.parse_known_args(rasa.command[2:])
    assert parsed.auth_token == "-starts-with-a-dash"


def test_generated_secrets_never_look_like_options(tmp_path: Path) -> None:
    for _ in range(20):
        (tmp_path / "secrets.env").unlink(missing_ok=True)
        values = launcher.load_secrets(tmp_path)
        assert set(launcher.SECRET_NAMES) <= set(values)
        assert not any(value.startswith("-") for value in values.values())
    assert oct((tmp_path / "secrets.env").stat().st_mode & 0o777) == "0o600"


def test_every_service_has_a_health_url_on_its_own_port(tmp_path: Path) -> None:
    env = launcher.environment(tmp_path)
    ports = [p.health_url.split(":")[2].split("/")[0] for p in launcher.processes(env)]
    assert len(ports) == len(set(ports)) == 7
