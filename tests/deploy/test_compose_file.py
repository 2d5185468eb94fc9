"""deploy/docker-compose.yml against bot/launcher.py, without Docker: the same processes, commands, ports,
health routes and variables, secrets only from deploy/.env, images tagged, healthchecks everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.launcher_view import (
    baked_into_services_image,
    check_environment,
    check_process,
    launched_processes,
    launcher,
    launcher_environment,
    python_module_command,
    setup_steps,
    variables_of,
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
STORES = {"postgres", "redis", "neo4j"}
# One-shot set-up containers (the launcher's setup steps), not processes.
SETUP = {"seed"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def launcher_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return launcher_environment(tmp_path_factory.mktemp("var"))


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def container_env(service: dict) -> dict[str, str]:
    """A container's variables: its `environment` and what `env_file: .env` gives (the example's keys)."""
    assert service.get("env_file") == ".env", "secrets come from deploy/.env"
    return {**env_example(), **{key: str(value) for key, value in service["environment"].items()}}


def test_the_launchers_processes_and_only_those_run(compose: dict, launcher_env: dict[str, str]) -> None:
    assert set(compose["services"]) - STORES - SETUP == set(launched_processes(launcher_env))


def test_each_process_runs_the_launchers_command_on_its_port(compose: dict, launcher_env: dict[str, str]) -> None:
    problems = []
    for name, process in launched_processes(launcher_env).items():
        service = compose["services"][name]
        env = container_env(service)
        problems += check_process(process, service["command"], env)
        for published in service.get("ports", []):
            host, _, container_port = published.split(":")
            if host != "127.0.0.1" or container_port != str(process.port):
                problems.append(f"{name}: publishes {published}")
    assert not problems, "\n".join(problems)


def test_every_launcher_variable_is_set_and_urls_name_the_right_service(
    compose: dict, launcher_env: dict[str, str]
) -> None:
    processes = launched_processes(launcher_env)
    host_of = {name: name for name in processes}  # compose service names are the hosts
    problems = []
    for name, process in processes.items():
        env = container_env(compose["services"][name])
        wrong = check_environment(variables_of(process, launcher_env), env, processes, host_of)
        problems += [f"{name}: {problem}" for problem in wrong]
    assert not problems, "\n".join(problems)


def test_healthchecks_call_the_launchers_health_routes(compose: dict, launcher_env: dict[str, str]) -> None:
    for name, process in launched_processes(launcher_env).items():
        test = " ".join(compose["services"][name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{process.port}{process.health_path}'" in test, name
        assert "token" not in test, name
    for store in STORES:
        assert compose["services"][store]["healthcheck"]["test"], store


def test_no_secret_is_committed(compose: dict) -> None:
    example = env_example()
    assert set(launcher.SECRET_NAMES) <= set(example), "every generated secret has a line in .env.example"
    assert all(example[key] == "" for key in [*launcher.SECRET_NAMES, "POSTGRES_PASSWORD", "NEO4J_PASSWORD"])
    secret_like = re.compile(r"PASSWORD|SECRET|TOKEN|_AUTH$")
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if secret_like.search(key):
                assert re.fullmatch(r"(neo4j/)?\$\{[A-Z0-9_]+(:\?[^}]*)?\}", str(value)), f"{name}: {key} is a literal"
            if "://" in str(value) and "@" in str(value):
                assert ":${POSTGRES_PASSWORD}@" in str(value), f"{name}: {key} holds a password literal"
    assert "deploy/.env" in (DEPLOY.parent / ".gitignore").read_text().splitlines()


def test_images_are_tagged_and_built_from_the_two_dockerfiles(compose: dict) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and "/" not in tag, f"{name}: {image}"
    built = {service["build"]["dockerfile"] for service in compose["services"].values() if "build" in service}
    assert built == {"deploy/docker/rasa.Dockerfile", "deploy/docker/services.Dockerfile"}
    assert all((DEPLOY.parent / path).exists() for path in built)


def test_setup_steps_run_in_the_image_or_before_the_services(compose: dict, launcher_env: dict[str, str]) -> None:
    """The launcher's setup (build_models, seed_demo_data): in the image, the seed container or a start command."""
    commands = " && ".join(service["command"][-1] for service in compose["services"].values() if "command" in service)
    for step in setup_steps(launcher_env):
        assert baked_into_services_image(step) or f"python -m {' '.join(step)}" in commands, step
    assert python_module_command(compose["services"]["voice"]["command"])[2] == "channels.voice"
