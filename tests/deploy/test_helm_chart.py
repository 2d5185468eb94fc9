"""The Helm chart, offline: `helm lint`, then `helm template` checked against bot/launcher.py (processes,
commands, ports, variables, health routes) and against the rules of a cluster deployment (probes and
resources everywhere, tagged images, no secret in a manifest, autoscalers, sticky socket.io sessions).

helm is built from its Go module once per version (tools/helm_binary.py; CI builds it in a set-up step).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.launcher_view import (
    REPO,
    baked_into_services_image,
    check_environment,
    check_process,
    expand,
    launched_processes,
    launcher,
    launcher_environment,
    setup_steps,
    variables_of,
)
from tools.helm_binary import ensure_helm

CHART = REPO / "deploy" / "helm" / "shop-assistant"
RELEASE = "shop"
PREFIX = f"{RELEASE}-shop-assistant-"
SECRET_LIKE = re.compile(r"PASSWORD|SECRET|TOKEN")
# Marks a value that comes from a Secret when a container's variables are resolved.
FROM_SECRET = "<from a secret>"


@pytest.fixture(scope="module")
def helm() -> Path:
    return ensure_helm()


@pytest.fixture(scope="module")
def launcher_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return launcher_environment(tmp_path_factory.mktemp("var"))


def render(helm: Path, *settings: str) -> list[dict]:
    command = [str(helm), "template", RELEASE, str(CHART), *(f"--set={setting}" for setting in settings)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return [document for document in yaml.safe_load_all(out.stdout) if document]


def of_kind(documents: list[dict], kind: str) -> dict[str, dict]:
    return {document["metadata"]["name"]: document for document in documents if document["kind"] == kind}


def deployments(documents: list[dict]) -> dict[str, dict]:
    """Deployments by the launcher's process name (the component label)."""
    return {
        document["metadata"]["labels"]["app.kubernetes.io/component"]: document
        for document in of_kind(documents, "Deployment").values()
    }


def containers(deployment: dict) -> list[dict]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def resolved_env(container: dict, documents: list[dict]) -> dict[str, str]:
    """A container's variables as Kubernetes gives them: envFrom, then env with $(VAR) expanded."""
    config_maps = of_kind(documents, "ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_maps[source["configMapRef"]["name"]]["data"])
        if "secretRef" in source:
            env.update(dict.fromkeys(launcher.SECRET_NAMES, FROM_SECRET))
    for entry in container.get("env", []):
        env[entry["name"]] = expand(entry["value"], env) if "value" in entry else FROM_SECRET
    return env


def test_helm_lint_passes(helm: Path) -> None:
    result = subprocess.run([str(helm), "lint", "--strict", str(CHART)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_launchers_processes_run_each_as_a_deployment_and_service(helm: Path, launcher_env: dict) -> None:
    documents = render(helm)
    processes = launched_processes(launcher_env)
    assert set(deployments(documents)) == set(processes)
    services = of_kind(documents, "Service")
    for name, process in processes.items():
        ports = services[PREFIX + name]["spec"]["ports"]
        assert [(port["port"], port["targetPort"]) for port in ports] == [(process.port, "http")], name
        container = deployments(documents)[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["ports"][0]["containerPort"] == process.port, name


def test_commands_and_variables_are_the_launchers(helm: Path, launcher_env: dict) -> None:
    documents = render(helm)
    processes = launched_processes(launcher_env)
    host_of = {name: PREFIX + name for name in processes}
    problems = []
    for name, process in processes.items():
        container = deployments(documents)[name]["spec"]["template"]["spec"]["containers"][0]
        env = resolved_env(container, documents)
        problems += check_process(process, container["command"], env)
        wrong = check_environment(variables_of(process, launcher_env), env, processes, host_of)
        problems += [f"{name}: {problem}" for problem in wrong]
    assert not problems, "\n".join(problems)


def test_setup_steps_run_in_the_image_or_before_the_service(helm: Path, launcher_env: dict) -> None:
    """The launcher's setup (build_models, seed_demo_data) happens somewhere: in the image or an init container."""
    steps = setup_steps(launcher_env)
    init_commands = [
        container["command"][2:]
        for deployment in deployments(render(helm)).values()
        for container in deployment["spec"]["template"]["spec"].get("initContainers", [])
    ]
    assert steps and all(baked_into_services_image(step) or step in init_commands for step in steps), init_commands
    without_demo = render(helm, "applicationSettings.demoData=false")
    seeds = [step for step in steps if step[0].endswith(".seed")]
    assert all(
        container["command"][2:] not in seeds
        for deployment in deployments(without_demo).values()
        for container in containers(deployment)
    )
    assert of_kind(without_demo, "ConfigMap")[PREFIX + "env"]["data"]["KG_DEMO"] == "0"


def test_every_container_has_probes_on_health_routes_and_resources(helm: Path, launcher_env: dict) -> None:
    documents = render(helm)
    processes = launched_processes(launcher_env)
    for name, deployment in deployments(documents).items():
        main = deployment["spec"]["template"]["spec"]["containers"][0]
        for probe in ("livenessProbe", "readinessProbe"):
            assert main[probe]["httpGet"] == {"path": processes[name].health_path, "port": "http"}, (name, probe)
        for container in containers(deployment):
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert set(resources[kind]) == {"cpu", "memory"}, (name, container["name"], kind)


def test_images_are_tagged(helm: Path) -> None:
    documents = render(helm)
    app_version = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
    for name, deployment in deployments(documents).items():
        for container in containers(deployment):
            repository, _, tag = container["image"].rpartition(":")
            assert repository and "/" not in tag and tag == app_version, (name, container["image"])
    pinned = deployments(render(helm, "rasa.image.tag=1.2.3"))["rasa"]
    assert pinned["spec"]["template"]["spec"]["containers"][0]["image"].endswith("/rasa:1.2.3")


def test_no_secret_is_written_into_a_manifest(helm: Path) -> None:
    documents = render(helm, "existingSecret=my-secrets")
    assert not of_kind(documents, "Secret"), "secrets come from existing Secrets only"
    for config_map in of_kind(documents, "ConfigMap").values():
        assert not [key for key in config_map["data"] if SECRET_LIKE.search(key)], config_map["metadata"]["name"]
    for name, deployment in deployments(documents).items():
        for container in containers(deployment):
            assert {"secretRef": {"name": "my-secrets"}} in container["envFrom"], name
            for entry in container.get("env", []):
                if SECRET_LIKE.search(entry["name"]):
                    assert "secretKeyRef" in entry["valueFrom"], (name, entry["name"])
                credentials = re.search(r"://[^/:@]+:([^@]+)@", entry.get("value", ""))
                assert credentials is None or credentials.group(1) == "$(TRACKER_PG_PASSWORD)", (name, entry)


def test_rasa_and_the_action_server_scale_with_autoscalers(helm: Path) -> None:
    assert not of_kind(render(helm), "HorizontalPodAutoscaler"), "off by default (docs/scaling.md)"
    documents = render(helm, "rasa.autoscaling.enabled=true", "actionServer.autoscaling.enabled=true")
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in of_kind(documents, "HorizontalPodAutoscaler").values()}
    assert targets == {PREFIX + "rasa", PREFIX + "actions"}
    scaled = deployments(documents)
    assert "replicas" not in scaled["rasa"]["spec"] and "replicas" not in scaled["actions"]["spec"]


def test_socketio_sessions_are_sticky_and_rasas_api_stays_inside(helm: Path) -> None:
    documents = render(helm)
    (ingress,) = of_kind(documents, "Ingress").values()
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    routes = {
        path["path"]: path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert routes["/socket.io"] == routes["/webhooks"] == PREFIX + "rasa"
    assert PREFIX + "rasa" not in [routes.get("/")], "Rasa's HTTP API (/conversations, /model) is not exposed"
    assert of_kind(documents, "Service")[PREFIX + "rasa"]["spec"]["sessionAffinity"] == "ClientIP"


def test_only_rasa_reaches_the_action_server(helm: Path) -> None:
    (policy,) = of_kind(render(helm), "NetworkPolicy").values()
    assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "actions"
    (rule,) = policy["spec"]["ingress"]
    assert [source["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for source in rule["from"]] == ["rasa"]


def test_kafka_adds_the_event_broker_to_the_launchers_endpoints(helm: Path) -> None:
    documents = render(helm, "external.kafka.enabled=true", "external.kafka.bootstrapServers=kafka-0:9092")
    endpoints = yaml.safe_load(of_kind(documents, "ConfigMap")[PREFIX + "endpoints"]["data"]["endpoints.yml"])
    broker = endpoints.pop("event_broker")
    assert broker["type"] == "kafka" and broker["url"] == "kafka-0:9092"
    launchers = yaml.safe_load((REPO / "bot" / "endpoints.postgres.yml").read_text())
    assert launchers.pop("event_broker")["type"] == "channels.event_stream.ShopEventBroker"  # replaced by Kafka's
    assert endpoints == launchers
    command = deployments(documents)["rasa"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[command.index("--endpoints") + 1] == "/etc/shop-assistant/endpoints.yml"


def test_privacy_and_feedback_settings_reach_every_process(helm: Path) -> None:
    env = of_kind(render(helm), "ConfigMap")[PREFIX + "env"]["data"]
    assert {name: env[name] for name in ("CONVERSATION_RETENTION_DAYS", "TRACKER_REDACT", "SATISFACTION_SURVEY")} == {
        "CONVERSATION_RETENTION_DAYS": "90",
        "TRACKER_REDACT": "off",
        "SATISFACTION_SURVEY": "on",
    }
    assert env["PERSONALISATION_CONSENT_DEFAULT"] == "", "no consent unless the shop says so"
    strict = of_kind(
        render(
            helm,
            "applicationSettings.privacy.trackerRedact=true",
            "applicationSettings.privacy.conversationRetentionDays=30",
        ),
        "ConfigMap",
    )[PREFIX + "env"]["data"]
    assert (strict["TRACKER_REDACT"], strict["CONVERSATION_RETENTION_DAYS"]) == ("on", "30")
