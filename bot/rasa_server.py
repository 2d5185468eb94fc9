"""Rasa's own command line, with the HTTP API token read from the environment instead of argv.

`rasa run --auth-token=…` puts the token in the process's command line, which every user of the
machine can read (`ps`, /proc/<pid>/cmdline). The launcher starts Rasa as
`.venv-rasa/bin/python -m bot.rasa_server run …` instead: the token travels in the environment
(readable only by the same user) and is added to the arguments inside the process, where Rasa's
CLI (rasa/__main__.py) parses them as usual. Changing `sys.argv` does not change what /proc shows.

It is also where the Rasa process gets our runtime patches (channels/rasa_runtime.py), explicitly and
once, before Rasa starts: no module patches Rasa by being imported. And it refuses to start a server
whose endpoints file lacks the catalogue's response renderer (channels/catalogue_responses.py): the
domain has no response texts, so without it every utter_ action would stay silent.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml


def rasa_argv(args: list[str], env: Mapping[str, str]) -> list[str]:
    """`rasa <args> --auth-token=<RASA_API_TOKEN>`; one argument, so a token starting with "-" stays a value."""
    token = env.get("RASA_API_TOKEN", "")
    if not token:
        raise SystemExit("RASA_API_TOKEN is not set: the launcher generates it into var/secrets.env")
    return ["rasa", *args, f"--auth-token={token}"]


def endpoints_path(args: list[str]) -> Path:
    """The `--endpoints` file of a Rasa command line (Rasa's default when none is given)."""
    for index, arg in enumerate(args):
        if arg == "--endpoints" and index + 1 < len(args):
            return Path(args[index + 1])
        if arg.startswith("--endpoints="):
            return Path(arg.split("=", 1)[1])
    return Path("endpoints.yml")


def require_response_renderer(args: list[str], nlg_type: str) -> None:
    """`rasa run` only with `nlg: type: <nlg_type>` in its endpoints file, else a clear exit."""
    if not args or args[0] != "run":
        return
    path = endpoints_path(args)
    endpoints = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    nlg = endpoints.get("nlg") if isinstance(endpoints, dict) else None
    if not isinstance(nlg, dict) or nlg.get("type") != nlg_type:
        raise SystemExit(
            f"{path} must say `nlg: {{type: {nlg_type}}}`: the utter_ responses are in the message catalogue "
            "(bot/texts/<language>.yml), and without it the assistant would not say them"
        )


def main() -> None:
    from channels.catalogue_responses import NLG_TYPE

    require_response_renderer(sys.argv[1:], NLG_TYPE)
    sys.argv = rasa_argv(sys.argv[1:], os.environ)
    from rasa.__main__ import main as rasa_main  # after argv is set: rasa reads it on import paths too

    from channels import rasa_runtime

    rasa_runtime.install()
    rasa_main()


if __name__ == "__main__":
    main()
