"""Rasa's own command line, with the HTTP API token read from the environment instead of argv.

`rasa run --auth-token=…` puts the token in the process's command line, which every user of the
machine can read (`ps`, /proc/<pid>/cmdline). The launcher starts Rasa as
`.venv-rasa/bin/python -m bot.rasa_server run …` instead: the token travels in the environment
(readable only by the same user) and is added to the arguments inside the process, where Rasa's
CLI (rasa/__main__.py) parses them as usual. Changing `sys.argv` does not change what /proc shows.

It is also where the Rasa process gets our runtime patches (channels/rasa_runtime.py), explicitly and
once, before Rasa starts: no module patches Rasa by being imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping


def rasa_argv(args: list[str], env: Mapping[str, str]) -> list[str]:
    """`rasa <args> --auth-token=<RASA_API_TOKEN>`; one argument, so a token starting with "-" stays a value."""
    token = env.get("RASA_API_TOKEN", "")
    if not token:
        raise SystemExit("RASA_API_TOKEN is not set: the launcher generates it into var/secrets.env")
    return ["rasa", *args, f"--auth-token={token}"]


def main() -> None:
    sys.argv = rasa_argv(sys.argv[1:], os.environ)
    from rasa.__main__ import main as rasa_main  # after argv is set: rasa reads it on import paths too

    from channels import rasa_runtime

    rasa_runtime.install()
    rasa_main()


if __name__ == "__main__":
    main()
