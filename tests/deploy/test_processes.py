"""Each process as k8s/ runs it, started here on real PostgreSQL and Redis, passes its own probes.

Commands, probes and settings come from the production overlay, so a manifest edited into something
that does not start fails here. Only what differs on this machine is replaced: secrets, addresses,
ports and paths. A database and Redis databases of their own leave the rest of the suite undisturbed.
"""

import base64
import os
import secrets
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from django.conf import settings

from tests.deploy.manifests import (
    Object,
    config_map_data,
    container,
    drillquiz_deployments,
    flower_prefix,
    image_env,
    of_kind,
    pod_spec,
)
from tests.processes import ROOT, free_port, process_env, running, wait_until
from tests.processes import test_database_url as suite_database_url

DATABASE = "drillquiz_deploy_test"
BROKER_DB, CACHE_DB = 12, 13  # the rest of the suite uses 0 and 1
FLOWER_LOGIN = f"admin:{secrets.token_urlsafe(16)}"
ALLOWED_HOST = config_map_data("prod")["ALLOWED_HOSTS"].split(",")[0]
STARTUP_SECONDS = 60


def redis_url(db: int) -> str:
    return urlsplit(settings.CELERY_BROKER_URL)._replace(path=f"/{db}").geturl()


def maintenance_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"], autocommit=True
    )


@dataclass
class Stage:
    """What this machine gives the processes instead of the cluster's Secrets and the image's paths."""

    secrets: dict[str, dict[str, str]]
    folder: Path


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    """An empty database of its own, prepared by the migrate Job's command."""
    with maintenance_connection() as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    stage = Stage(
        secrets={
            "drillquiz-secrets": {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": f"{suite_database_url().rsplit('/', 1)[0]}/{DATABASE}",
                "CELERY_BROKER_URL": redis_url(BROKER_DB),
                "CACHE_URL": redis_url(CACHE_DB),
                "EMAIL_URL": "consolemail://",
                "TRANSLATION_API_KEY": "a-key-no-test-sends",
            },
            "drillquiz-flower": {"FLOWER_BASIC_AUTH": FLOWER_LOGIN},
        },
        folder=tmp_path_factory.mktemp("deploy"),
    )
    job = container(of_kind("prod", "Job")["migrate"])
    env = environment(job, stage, local_settings(stage))
    result = subprocess.run(job["args"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the migrate Job's command failed:\n{result.stdout}{result.stderr}"
    yield stage
    with maintenance_connection() as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def local_settings(stage: Stage) -> dict[str, str]:
    """The image's addresses and paths on this machine; each name must be one the image sets."""
    local = {
        "UVICORN_HOST": "127.0.0.1",
        "UVICORN_PORT": str(free_port()),
        "FLOWER_ADDRESS": "127.0.0.1",
        "FLOWER_PORT": str(free_port()),
        "METRICS_ADDRESS": "127.0.0.1",
        "METRICS_PORT": str(free_port()),
        "WEB_METRICS_PORT": str(free_port()),
        "STATIC_ROOT": str(stage.folder / "static"),
        "BACKUP_DIR": str(stage.folder / "backups"),
        "BACKUP_PG_BIN_DIR": "",  # this machine's pg_dump, from PATH
        "BEAT_HEARTBEAT_FILE": str(stage.folder / "beat-heartbeat"),
    }
    assert set(local) <= set(image_env()), f"the image no longer sets {set(local) - set(image_env())}"
    return local


def environment(spec: Object, stage: Stage, local: dict[str, str]) -> dict[str, str]:
    """A container's environment as Kubernetes would build it, on this machine."""
    env = process_env(unset=("SECRET_KEY", "DEBUG"))
    env.update(image_env())
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            assert source["configMapRef"]["name"].startswith("drillquiz-config")
            env.update(config_map_data("prod"))
        else:
            env.update(stage.secrets[source["secretRef"]["name"]])
    for item in spec.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            reference = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = stage.secrets[reference["name"]][reference["key"]]
    env.update(local)
    # The pod's name, which is also the host name a Celery node takes.
    env["HOSTNAME"] = socket.gethostname()
    env["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return env


def http_status(url: str, timeout: float, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - our own local process
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status: int = response.status  # typeshed leaves urlopen's answer untyped
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@dataclass
class Started:
    name: str
    workload: Object
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]

    def port(self, name_or_number: str | int) -> int:
        """The local port of a container port: the image's port variables, set to free ports here."""
        ports = {port["name"]: port["containerPort"] for port in container(self.workload).get("ports", [])}
        number = ports[name_or_number] if isinstance(name_or_number, str) else name_or_number
        names = ("UVICORN_PORT", "FLOWER_PORT", "METRICS_PORT", "WEB_METRICS_PORT")
        image_ports = {int(image_env()[name]): int(self.env[name]) for name in names}
        return image_ports[number]

    def passes(self, probe_name: str) -> bool:
        probe = container(self.workload)[probe_name]
        timeout = probe.get("timeoutSeconds", 1)
        if "exec" in probe:
            try:
                result = subprocess.run(
                    probe["exec"]["command"], cwd=ROOT, env=self.env, capture_output=True, timeout=timeout
                )
            except subprocess.TimeoutExpired:
                return False
            return result.returncode == 0
        get = probe["httpGet"]
        # The kubelet counts any status from 200 to 399 as success.
        return 200 <= http_status(f"http://127.0.0.1:{self.port(get['port'])}{get['path']}", timeout) < 400

    def wait_until_passes(self, probe_name: str) -> None:
        try:
            wait_until(lambda: self.passes(probe_name), STARTUP_SECONDS, f"{self.name}'s {probe_name}")
        except AssertionError as error:
            raise AssertionError(
                f"{error}\n--- {self.name} log ---\n{self.log.read_text(errors='replace')[-3000:]}"
            ) from None

    def url(self, path: str, port: str = "http") -> str:
        return f"http://127.0.0.1:{self.port(port)}{path}"


@contextmanager
def started(name: str, stage: Stage, folder: Path) -> Iterator[Started]:
    workload = drillquiz_deployments("prod")[name]
    local = local_settings(stage)
    env = environment(container(workload), stage, local)
    # No job left by another process test (beat sends some) may reach this one.
    for db in (BROKER_DB, CACHE_DB):
        with redis.Redis.from_url(redis_url(db)) as client:
            client.flushdb()
    # As the kubelet does: each init container runs to completion first.
    for init in pod_spec(workload).get("initContainers", []):
        init_env = environment(init, stage, local)
        result = subprocess.run(init["args"], cwd=ROOT, env=init_env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{name}'s {init['name']} failed:\n{result.stdout}{result.stderr}"
    log = folder / f"{name}.log"
    with running(container(workload)["args"], env, log) as process:
        yield Started(name, workload, env, log, process)


def test_the_migrate_job_prepares_an_empty_database(stage: Stage) -> None:
    with psycopg.connect(stage.secrets["drillquiz-secrets"]["DATABASE_URL"]) as connection:
        row = connection.execute("SELECT count(*) FROM django_celery_beat_periodictask").fetchone()

    assert row is not None
    assert row[0] > 0


@pytest.mark.parametrize("name", sorted(drillquiz_deployments("prod")))
def test_each_deployment_starts_here_and_passes_its_probes(name: str, stage: Stage, tmp_path: Path) -> None:
    with started(name, stage, tmp_path) as deployment:
        deployment.wait_until_passes("readinessProbe")
        deployment.wait_until_passes("livenessProbe")

        assert deployment.process.poll() is None, f"{name} exited"


def test_the_site_answers_flowers_unauthenticated_paths_with_not_found(stage: Stage, tmp_path: Path) -> None:
    (ingress,) = of_kind("prod", "Ingress").values()
    (rule,) = ingress["spec"]["rules"]
    shadowed = [p["path"] for p in rule["http"]["paths"] if p["path"].startswith(f"{flower_prefix()}/")]
    # As the ingress controller sends them: the public host, over HTTPS.
    headers = {"Host": ALLOWED_HOST, "X-Forwarded-Proto": "https"}

    with started("web", stage, tmp_path) as web:
        web.wait_until_passes("readinessProbe")
        statuses = {path: http_status(web.url(path), 5, headers) for path in shadowed}

    assert statuses == {path: 404 for path in shadowed}
    assert shadowed


def test_flower_asks_for_its_login_but_serves_health_and_metrics_without_one(stage: Stage, tmp_path: Path) -> None:
    login = {"Authorization": "Basic " + base64.b64encode(FLOWER_LOGIN.encode()).decode()}

    with started("flower", stage, tmp_path) as flower:
        flower.wait_until_passes("readinessProbe")
        anonymous = http_status(flower.url(f"{flower_prefix()}/"), 5)
        logged_in = http_status(flower.url(f"{flower_prefix()}/"), 5, login)
        metrics = http_status(flower.url(f"{flower_prefix()}/metrics"), 5)

    assert anonymous == 401
    assert logged_in == 200
    # Why the Ingress must not route it: anyone who reaches the port reads it.
    assert metrics == 200


def test_the_web_serves_its_metrics_on_their_own_port_and_not_on_the_sites(stage: Stage, tmp_path: Path) -> None:
    headers = {"Host": ALLOWED_HOST, "X-Forwarded-Proto": "https"}

    with started("web", stage, tmp_path) as web:
        web.wait_until_passes("readinessProbe")
        on_the_site = http_status(web.url("/metrics"), 5, headers)
        with urllib.request.urlopen(web.url("/metrics", "metrics"), timeout=5) as response:  # noqa: S310 - local
            metrics = response.read().decode()

    assert on_the_site == 404
    assert 'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="<unnamed view>"}' in metrics
    assert "django_db_query_duration_seconds" in metrics
    assert "drillquiz_cache_operation_seconds" in metrics
