"""Reading the deployment files as the tools that run them do: compose, kustomize, the Dockerfile, the Procfile."""

import shlex
import shutil
import subprocess
from functools import cache
from typing import Any

import yaml

from tests.processes import ROOT

Object = dict[str, Any]

OVERLAYS = ("dev", "prod")
# Services that are not DrillQuiz processes: each runs its own image.
THIRD_PARTY_SERVICES = {"postgres", "redis", "mailpit"}


def compose() -> Object:
    services: Object = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return services


def compose_app_services() -> dict[str, Object]:
    return {name: service for name, service in compose()["services"].items() if name not in THIRD_PARTY_SERVICES}


@cache
def kustomize(overlay: str) -> str:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is not on PATH; the deployment tests build k8s/ with `kubectl kustomize`"
    result = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "k8s" / "overlays" / overlay)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"kubectl kustomize k8s/overlays/{overlay} failed:\n{result.stderr}"
    return result.stdout


def objects(overlay: str) -> list[Object]:
    return [item for item in yaml.safe_load_all(kustomize(overlay)) if item]


def of_kind(overlay: str, kind: str) -> dict[str, Object]:
    return {item["metadata"]["name"]: item for item in objects(overlay) if item["kind"] == kind}


def drillquiz_deployments(overlay: str) -> dict[str, Object]:
    """The Deployments that run the DrillQuiz image (the dev overlay adds its own PostgreSQL and Redis)."""
    return {
        name: deployment
        for name, deployment in of_kind(overlay, "Deployment").items()
        if deployment["metadata"]["labels"].get("app.kubernetes.io/name") == "drillquiz"
    }


def pod_spec(workload: Object) -> Object:
    spec: Object = workload["spec"]["template"]["spec"]
    return spec


def container(workload: Object) -> Object:
    containers = pod_spec(workload)["containers"]
    assert len(containers) == 1, f"{workload['metadata']['name']}: expected one container"
    only: Object = containers[0]
    return only


def flower_prefix() -> str:
    """The path Flower serves under in the production overlay (FLOWER_URL_PREFIX), e.g. /flower."""
    env = {item["name"]: item for item in container(of_kind("prod", "Deployment")["flower"])["env"]}
    prefix: str = env["FLOWER_URL_PREFIX"]["value"]
    return "/" + prefix.strip("/")


def config_map_data(overlay: str) -> dict[str, str]:
    (config,) = [item for item in objects(overlay) if item["metadata"]["name"].startswith("drillquiz-config")]
    data: dict[str, str] = config["data"]
    return data


@cache
def image_env() -> dict[str, str]:
    """The ENV the Dockerfile's final stage sets (key=value pairs, with line continuations)."""
    final_stage = (ROOT / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]
    logical_lines = final_stage.replace("\\\n", " ").splitlines()
    env: dict[str, str] = {}
    for line in logical_lines:
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def image_user() -> str:
    """The user (uid) the image runs as."""
    (line,) = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("USER ")]
    return line.split()[1].split(":")[0]


def dockerfile_instruction(name: str) -> list[str]:
    """The arguments of the last NAME instruction (exec form, a JSON list) of the Dockerfile."""
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith(f"{name} [")]
    assert lines, f"the Dockerfile has no {name} in exec form"
    arguments: list[str] = yaml.safe_load(lines[-1][len(name) + 1 :])
    return arguments


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name: shlex.split(command) for name, command in (line.split(": ", 1) for line in lines if line.strip())}


def shell_of(probe_command: list[str]) -> str:
    """The shell line of a probe written as ["sh", "-c", LINE]."""
    assert probe_command[:2] == ["sh", "-c"], f"expected a `sh -c` probe, not {probe_command}"
    return probe_command[2]
