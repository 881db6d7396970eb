"""The image, really built and started: each DrillQuiz process in a container of its own, as k8s/ runs it.

`make image-test` runs this module (`make test` does not collect it: a first build takes about ten
minutes). scripts/container-engine.sh builds the Dockerfile (Docker, or podman where no Docker engine
answers); the migrate Job and every Deployment of the production overlay then start from the image as
separate containers on the host's network, against this machine's PostgreSQL and Redis: the database
and Redis databases of DATABASE_URL, CELERY_BROKER_URL and CACHE_URL, which the Makefile gives this test
alone. Commands, probes, settings, volumes and the read-only root come from the overlay; only secrets
and ports are this machine's.
"""

import base64
import json
import os
import re
import secrets
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import partial
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

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
from tests.processes import ROOT, free_port, wait_until

ENGINE = str(ROOT / "scripts" / "container-engine.sh")
IMAGE = "drillquiz:image-test"
LOGS = ROOT / "var" / "image-test"
RUN = f"dq-image-{secrets.token_hex(3)}"
BUILD_SECONDS = 40 * 60
STARTUP_SECONDS = 120
UID = 10001
FLOWER_LOGIN = f"admin:{secrets.token_urlsafe(16)}"
PUBLIC_HOST = config_map_data("prod")["ALLOWED_HOSTS"].split(",")[0]
# As the ingress controller sends a request: the public host, over HTTPS.
INGRESS_HEADERS = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https"}
PORT_VARIABLES = ("UVICORN_PORT", "FLOWER_PORT", "METRICS_PORT", "WEB_METRICS_PORT")
# The build runs in the first test's setup: a cold one (the base image made offline) takes about 11 minutes.
pytestmark = pytest.mark.timeout(BUILD_SECONDS + 15 * 60)


def engine(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ENGINE, *args], capture_output=True, text=True, timeout=timeout, check=False)


def logs(name: str) -> str:
    result = engine("logs", "--tail", "60", name)
    return f"--- {name} log ---\n{result.stdout}{result.stderr}"


class Inbox:
    """An aiosmtpd handler keeping every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


@dataclass
class Started:
    """A Deployment's container, started from the image."""

    name: str
    workload: Object
    env: dict[str, str]

    @property
    def container(self) -> str:
        return f"{RUN}-{self.name}"

    def port(self, name_or_number: str | int) -> int:
        """The host port of a container port: the image's port variables are set to free ports here."""
        ports = {port["name"]: port["containerPort"] for port in container(self.workload).get("ports", [])}
        number = ports[name_or_number] if isinstance(name_or_number, str) else name_or_number
        return {int(image_env()[name]): int(self.env[name]) for name in PORT_VARIABLES}[number]

    def url(self, path: str, port: str = "http") -> str:
        return f"http://127.0.0.1:{self.port(port)}{path}"

    def exec(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return engine("exec", self.container, *command, timeout=timeout)

    def passes(self, probe_name: str) -> bool:
        """One try of a probe, as the kubelet makes it."""
        probe = container(self.workload)[probe_name]
        timeout = probe.get("timeoutSeconds", 1)
        if "exec" in probe:
            try:
                return self.exec(*probe["exec"]["command"], timeout=timeout + 10).returncode == 0
            except subprocess.TimeoutExpired:
                return False
        get = probe["httpGet"]
        # The kubelet counts any status from 200 to 399 as success.
        return 200 <= http(self.url(get["path"], get["port"]), timeout=timeout).status < 400


@dataclass
class Stack:
    database_url: str
    inbox: Inbox
    started: dict[str, Started] = field(default_factory=dict)


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: str


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def http(url: str, headers: dict[str, str] | None = None, data: bytes | None = None, timeout: float = 10) -> Response:
    """A request to one of our containers; status 0 when nothing answers."""
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 - our own container
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            status, message, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, message, body = error.code, error.headers, error.read()
    except OSError:
        return Response(0, {}, "")
    names = {name.lower() for name in message}
    return Response(status, {name: message.get_all(name) or [] for name in names}, body.decode(errors="replace"))


def redis_url(url: str) -> str:
    assert url.startswith("redis://"), f"the image test needs Redis, not {url}"
    return url


def maintenance_connection(database_url: str) -> psycopg.Connection:
    return psycopg.connect(urlsplit(database_url)._replace(path="/postgres").geturl(), autocommit=True)


def container_env(spec: Object, secret_values: dict[str, dict[str, str]], local: dict[str, str]) -> dict[str, str]:
    """A container's environment as Kubernetes builds it (the image's own ENV stays the image's)."""
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_map_data("prod"))
        else:
            env.update(secret_values[source["secretRef"]["name"]])
    for item in spec.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            reference = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secret_values[reference["name"]][reference["key"]]
    return {**env, **local}


def run_options(name: str, pod: Object, spec: Object, env: dict[str, str]) -> list[str]:
    """`run` options for a container of the pod: its securityContext and volumes; no --user (the image's)."""
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["capabilities"]["drop"] == ["ALL"]
    env_file = LOGS / f"{RUN}-{name}.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    env_file.chmod(0o600)
    options = ["--name", f"{RUN}-{name}", "--hostname", f"{RUN}-{name}", "--network", "host"]
    options += ["--env-file", str(env_file), "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
    # An emptyDir as a tmpfs; a claimed volume as an anonymous volume, which starts with the image's folder
    # (owned by the app user, as the kubelet's fsGroup makes a claim) and goes with the container.
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in spec.get("volumeMounts", []):
        kind = "--tmpfs" if "emptyDir" in volumes[mount["name"]] else "--volume"
        options += [kind, mount["mountPath"]]
    return options


@pytest.fixture(scope="module")
def image() -> str:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / "build.log"
    with log.open("w") as out:
        result = subprocess.run(
            [ENGINE, "build", IMAGE], stdout=out, stderr=subprocess.STDOUT, timeout=BUILD_SECONDS, check=False
        )
    assert result.returncode == 0, f"the image did not build (all of it in {log}):\n{log.read_text()[-4000:]}"
    return IMAGE


@pytest.fixture(scope="module")
def stack(image: str) -> Iterator[Stack]:
    """An empty database of its own, migrated by the migrate Job; every Deployment's container started."""
    database_url = os.environ["DATABASE_URL"]
    database = urlsplit(database_url).path.lstrip("/")
    with maintenance_connection(database_url) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {database}")
    broker, cache = redis_url(os.environ["CELERY_BROKER_URL"]), redis_url(os.environ["CACHE_URL"])
    for url in (broker, cache):
        with redis.Redis.from_url(url) as client:
            client.flushdb()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    secret_values = {
        "drillquiz-secrets": {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker,
            "CACHE_URL": cache,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "TRANSLATION_API_KEY": "a-key-no-test-sends",
        },
        "drillquiz-flower": {"FLOWER_BASIC_AUTH": FLOWER_LOGIN},
    }
    # Host network: each process listens on 127.0.0.1, on a free port.
    local = {name: str(free_port()) for name in PORT_VARIABLES}
    local |= {"UVICORN_HOST": "127.0.0.1", "FLOWER_ADDRESS": "127.0.0.1", "METRICS_ADDRESS": "127.0.0.1"}
    stack = Stack(database_url, inbox)
    names: list[str] = []
    try:
        job = container(of_kind("prod", "Job")["migrate"])
        names.append(f"{RUN}-migrate")
        env = container_env(job, secret_values, local)
        result = engine(
            "run",
            *run_options("migrate", pod_spec(of_kind("prod", "Job")["migrate"]), job, env),
            image,
            *job["args"],
            timeout=300,
        )
        assert result.returncode == 0, f"the migrate Job failed:\n{result.stdout}{result.stderr}"
        for name, workload in drillquiz_deployments("prod").items():
            # As the kubelet does: each init container runs to completion first.
            for init in pod_spec(workload).get("initContainers", []):
                init_name = f"{name}-{init['name']}"
                names.append(f"{RUN}-{init_name}")
                env = container_env(init, secret_values, local)
                result = engine(
                    "run", *run_options(init_name, pod_spec(workload), init, env), image, *init["args"], timeout=120
                )
                assert result.returncode == 0, f"{init_name} failed:\n{result.stdout}{result.stderr}"
            spec = container(workload)
            env = container_env(spec, secret_values, local)
            names.append(f"{RUN}-{name}")
            result = engine("run", "--detach", *run_options(name, pod_spec(workload), spec, env), image, *spec["args"])
            assert result.returncode == 0, f"{name} did not start:\n{result.stdout}{result.stderr}"
            stack.started[name] = Started(name, workload, env)
        yield stack
    finally:
        if names:
            engine("rm", "--force", "--volumes", "--time", "5", *names, timeout=180)
        smtp.stop()
        with maintenance_connection(database_url) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def healthcheck(image: str) -> list[str]:
    """The image's HEALTHCHECK command (Docker keeps it in Config, podman beside it)."""
    (inspected,) = json.loads(engine("image", "inspect", image).stdout)
    found = inspected.get("Healthcheck") or inspected["Config"].get("Healthcheck")
    assert found, "the image has no HEALTHCHECK (podman drops it unless it builds with --format docker)"
    test: list[str] = found["Test"]
    kind, *command = test
    assert kind == "CMD"
    return command


def test_the_image_keeps_its_healthcheck_and_it_passes_in_the_web_container(stack: Stack, image: str) -> None:
    web = stack.started["web"]
    command = healthcheck(image)
    wait_until(lambda: web.passes("readinessProbe"), STARTUP_SECONDS, "the web's readiness")

    check = web.exec(*command)

    assert "/healthz" in " ".join(command)
    assert check.returncode == 0, check.stderr


def test_the_migrate_job_prepares_the_empty_database(stack: Stack) -> None:
    with psycopg.connect(stack.database_url) as connection:
        row = connection.execute("SELECT count(*) FROM django_celery_beat_periodictask").fetchone()

    assert row is not None
    assert row[0] > 0


@pytest.mark.parametrize("name", sorted(drillquiz_deployments("prod")))
def test_each_process_passes_its_probes(stack: Stack, name: str) -> None:
    started = stack.started[name]
    for probe in ("readinessProbe", "livenessProbe"):
        try:
            wait_until(partial(started.passes, probe), STARTUP_SECONDS, f"{name}'s {probe}")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{logs(started.container)}") from None
    state = engine("inspect", "--format", "{{.State.Running}}", started.container)

    assert state.stdout.strip() == "true", logs(started.container)


def test_the_web_answers_both_probes_and_is_ready_on_all_its_dependencies(stack: Stack) -> None:
    web = stack.started["web"]
    wait_until(lambda: web.passes("readinessProbe"), STARTUP_SECONDS, "the web's readiness")

    assert http(web.url("/healthz")).status == 200
    ready = http(web.url("/readyz"))
    assert ready.status == 200
    assert '"failed": []' in ready.body


def test_a_sign_up_on_the_web_container_gets_its_welcome_email_from_the_worker_container(stack: Stack) -> None:
    web, worker = stack.started["web"], stack.started["worker"]
    wait_until(lambda: web.passes("readinessProbe"), STARTUP_SECONDS, "the web's readiness")
    wait_until(lambda: worker.passes("readinessProbe"), STARTUP_SECONDS, "the worker's readiness")
    form = http(web.url("/accounts/signup/"), INGRESS_HEADERS)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    assert form.status == 200
    assert token is not None
    # The cookies are Secure (production): sent back by hand, as a browser would over HTTPS.
    cookie = SimpleCookie("\n".join(form.headers["set-cookie"]))
    fields = {
        "csrfmiddlewaretoken": token.group(1),
        "username": "imagetester",
        "email": "imagetester@example.com",
        "language": "en",
        "password1": "a-long-enough-passphrase-9",
        "password2": "a-long-enough-passphrase-9",
    }
    headers = {
        **INGRESS_HEADERS,
        "Origin": f"https://{PUBLIC_HOST}",
        "Cookie": f"csrftoken={cookie['csrftoken'].value}",
        "Content-Type": "application/x-www-form-urlencoded",
    }

    signed_up = http(web.url("/accounts/signup/"), headers, urlencode(fields).encode())

    assert signed_up.status == 302, signed_up.body[-2000:]
    wait_until(lambda: bool(stack.inbox.to("imagetester@example.com")), 60, "the welcome email")
    with psycopg.connect(stack.database_url) as connection:
        (ran_on,) = connection.execute(
            "SELECT worker FROM django_celery_results_taskresult WHERE task_name = %s AND status = 'SUCCESS'",
            ["accounts.tasks.send_welcome_email"],
        ).fetchone() or (None,)
    assert ran_on == f"celery@{worker.container}"


@pytest.mark.parametrize("name", sorted(drillquiz_deployments("prod")))
def test_each_process_runs_as_uid_10001_on_a_read_only_root(stack: Stack, name: str) -> None:
    started = stack.started[name]
    # Every process in the container (its main process, tini as PID 1, this exec), by its real uid.
    uids = started.exec(
        "python",
        "-c",
        "import pathlib; print(sorted({line.split()[1] for status in pathlib.Path('/proc').glob('[0-9]*/status')"
        " for line in status.read_text().splitlines() if line.startswith('Uid:')}))",
    )
    mounts = [mount["mountPath"] for mount in container(started.workload)["volumeMounts"]]
    on_the_root = started.exec("touch", "/app/written")
    read_only = engine("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", started.container)

    assert uids.stdout.strip() == f"['{UID}']", uids.stderr
    assert on_the_root.returncode != 0
    assert "Read-only file system" in on_the_root.stderr
    assert read_only.stdout.strip() == "true"
    assert all(started.exec("touch", f"{mount}/written").returncode == 0 for mount in mounts)


def test_pg_dump_in_the_image_is_of_the_servers_major_version(stack: Stack) -> None:
    dump = stack.started["worker-backups"].exec("sh", "-c", 'exec "$BACKUP_PG_BIN_DIR/pg_dump" --version')
    with psycopg.connect(stack.database_url) as connection:
        (server_version,) = connection.execute("SHOW server_version_num").fetchone() or ("0",)

    assert dump.returncode == 0, dump.stderr
    assert re.search(r"\(PostgreSQL\) (\d+)\.", dump.stdout).group(1) == str(int(server_version) // 10000)  # type: ignore[union-attr]


def test_flower_asks_for_its_login(stack: Stack) -> None:
    flower = stack.started["flower"]
    wait_until(lambda: flower.passes("readinessProbe"), STARTUP_SECONDS, "Flower's readiness")
    login = {"Authorization": "Basic " + base64.b64encode(FLOWER_LOGIN.encode()).decode()}

    anonymous = http(flower.url(f"{flower_prefix()}/"))
    logged_in = http(flower.url(f"{flower_prefix()}/"), login)

    assert anonymous.status == 401
    assert anonymous.headers["www-authenticate"][0].startswith("Basic")
    assert logged_in.status == 200


def test_the_metrics_ports_answer(stack: Stack) -> None:
    web, exporter, flower = stack.started["web"], stack.started["metrics"], stack.started["flower"]
    for started in (web, exporter, flower):
        wait_until(partial(started.passes, "readinessProbe"), STARTUP_SECONDS, f"{started.name}'s readiness")

    web_metrics = http(web.url("/metrics", "metrics"))
    gauges = http(exporter.url("/metrics", "metrics"))
    flower_metrics = http(flower.url(f"{flower_prefix()}/metrics"))

    assert web_metrics.status == 200
    assert "django_http_requests_latency_seconds_by_view_method" in web_metrics.body
    assert gauges.status == 200
    assert "drillquiz_outbox_pending" in gauges.body
    assert 'drillquiz_queue_messages{queue="default"}' in gauges.body
    assert flower_metrics.status == 200
    assert "flower_events_total" in flower_metrics.body
