"""What bot/launcher.py starts and sets, read from the launcher itself, and the checks every deployment
file (deploy/docker-compose.yml, the Helm chart) must pass against it.

A deployment runs the launcher's processes with the launcher's commands, ports, health routes and
variables, adapted to containers in a few stated ways: every process listens on 0.0.0.0, URLs name
the other process's host instead of 127.0.0.1, the stores are PostgreSQL (ASSISTANT_STORE=postgres),
and Rasa's probe is `/` because the launcher's `/status` needs the API token.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bot"))
import launcher  # noqa: E402  (bot/launcher.py is a stdlib script, not a package)

# Every process listens on all interfaces in a container; the launcher binds loopback.
ALL_INTERFACES = "0.0.0.0"
# The browser's address of Rasa: set per installation, not derived from the launcher's loopback URL.
PUBLIC_URL_VARIABLES = {"RASA_PUBLIC_URL"}


@dataclass(frozen=True)
class LaunchedProcess:
    name: str
    module: str  # `python -m <module>`
    args: tuple[str, ...]  # what follows the module
    port: int
    bind_variable: str | None  # the variable that says where it listens (None: Rasa's --interface)
    health_path: str  # the route a probe calls
    extra_env: Mapping[str, str]


def launcher_environment(var: Path) -> dict[str, str]:
    """The launcher's environment with nothing inherited from this test's own environment."""
    with mock.patch.dict(os.environ, {}, clear=True):
        return launcher.environment(var)


def launched_processes(env: Mapping[str, str]) -> dict[str, LaunchedProcess]:
    env = {**env, "ASSISTANT_STORE": "postgres"}
    ports = {value: key for key, value in env.items() if key.endswith("_PORT")}
    processes = {}
    for process in launcher.processes(env):
        module_at = process.command.index("-m") + 1
        health = urlsplit(process.health_url)
        port_variable = ports[str(health.port)]
        bind = [key for key in process.extra_env if key.endswith("_HOST")] or [port_variable.replace("_PORT", "_HOST")]
        args = tuple(process.command[module_at + 1 :])
        processes[process.name] = LaunchedProcess(
            name=process.name,
            module=process.command[module_at],
            args=args,
            port=int(health.port or 0),
            bind_variable=None if "--interface" in args else bind[0],
            # A probe carries no token: Rasa's `/` answers without one.
            health_path="/" if "token=" in health.query else health.path,
            extra_env=process.extra_env,
        )
    return processes


def setup_steps(env: Mapping[str, str]) -> list[list[str]]:
    """`module args...` of each setup command the launcher runs (build_models, seed_demo_data), not run here."""
    with mock.patch.object(launcher.subprocess, "run") as run:
        launcher.build_models(dict(env))
        launcher.seed_demo_data(dict(env))
    return [call.args[0][call.args[0].index("-m") + 1 :] for call in run.call_args_list]


def baked_into_services_image(step: list[str]) -> bool:
    """A setup step the services image runs at build time (deploy/docker/services.Dockerfile)."""
    dockerfile = (REPO / "deploy" / "docker" / "services.Dockerfile").read_text()
    return f"python -m {step[0]}" in dockerfile


def python_module_command(command: list[str]) -> list[str]:
    """`python -m module args...` of a container command, also inside `sh -c "...; exec python -m ..."`."""
    if command[:2] == ["sh", "-c"]:
        command = shlex.split(command[2].split("exec ")[-1])
    return command


def expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes' $(VAR) references in a command or value."""
    for key, replacement in env.items():
        value = value.replace(f"$({key})", replacement)
    return value


def check_process(process: LaunchedProcess, command: list[str], env: Mapping[str, str]) -> list[str]:
    """What a container running `process` gets wrong: command, listening address, its own variables."""
    problems = []
    expected = ["python", "-m", process.module, *_container_args(process.args, env)]
    actual = [expand(part, env) for part in python_module_command(command)]
    if actual != expected:
        problems.append(f"{process.name}: command {actual} != {expected}")
    if process.bind_variable and env.get(process.bind_variable) != ALL_INTERFACES:
        problems.append(f"{process.name}: {process.bind_variable} is {env.get(process.bind_variable)!r}")
    for key, value in process.extra_env.items():
        if key != process.bind_variable and not key.endswith("_URL") and env.get(key) != value:
            problems.append(f"{process.name}: {key} is {env.get(key)!r}, the launcher sets {value!r}")
    return problems


def _container_args(args: tuple[str, ...], env: Mapping[str, str]) -> list[str]:
    replaced = {"--model": env.get("ASSISTANT_MODEL", "?"), "--interface": ALL_INTERFACES}
    out = list(args)
    for index, arg in enumerate(args[:-1]):
        if arg in replaced:
            out[index + 1] = replaced[arg]
    return out


def variables_of(process: LaunchedProcess, launcher_env: Mapping[str, str]) -> dict[str, str]:
    """The launcher's variables of one process: the shared ones and the URLs it adds for that process."""
    return {**launcher_env, **{key: value for key, value in process.extra_env.items() if key.endswith("_URL")}}


def check_environment(
    launcher_env: Mapping[str, str],
    deployed: Mapping[str, str],
    processes: Mapping[str, LaunchedProcess],
    host_of: Mapping[str, str],
) -> list[str]:
    """Every launcher variable is set; its URLs point at the same process and route; stores are PostgreSQL.

    `deployed`: one container's variables (secrets count as set); `host_of`: process name → host name."""
    by_port = {str(process.port): name for name, process in processes.items()}
    problems = []
    for key, value in sorted(launcher_env.items()):
        if key not in deployed:
            problems.append(f"{key} is not set")
            continue
        if key.endswith("_PORT") and deployed[key] != value:
            problems.append(f"{key} is {deployed[key]!r}, the launcher's port is {value}")
        launched = urlsplit(value)
        if key in PUBLIC_URL_VARIABLES or launched.hostname != "127.0.0.1" or launched.scheme != "http":
            continue
        target = by_port[str(launched.port)]
        want = f"http://{host_of[target]}:{launched.port}{launched.path}"
        if deployed[key] != want:
            problems.append(f"{key} is {deployed[key]!r}, want {want!r} ({target})")
    for key in launcher_env:
        if key.endswith("_DB_URL") and not deployed.get(key, "").startswith("postgresql+asyncpg://"):
            problems.append(f"{key} is not a PostgreSQL URL: {deployed.get(key)!r}")
    if deployed.get("ASSISTANT_STORE") != "postgres":
        problems.append("ASSISTANT_STORE is not postgres")
    return problems
