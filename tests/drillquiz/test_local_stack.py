"""`make run`'s Procfile on embedded defaults: SQLite, the filesystem broker, no server needed."""

import base64
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from tests.processes import ROOT, free_port, process_env, running, wait_until

EMBEDDED_UNSET = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")


def get(url: str, login: tuple[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)  # noqa: S310 - our own local server
    if login is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(login).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our own local server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except OSError:
        return 0, b""


def procfile_commands() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_the_procfile_runs_web_worker_beat_and_flower_on_embedded_defaults(tmp_path: Path) -> None:
    web_port, flower_port, metrics_port, web_metrics_port = free_port(), free_port(), free_port(), free_port()
    env = process_env(
        unset=EMBEDDED_UNSET,
        DRILLQUIZ_VAR_DIR=str(tmp_path / "var"),
        WEB_PORT=str(web_port),
        FLOWER_PORT=str(flower_port),
        METRICS_PORT=str(metrics_port),
        WEB_METRICS_PORT=str(web_metrics_port),
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    )
    for step in (["prepare_local_broker"], ["migrate", "--noinput"], ["create_local_flower_login"]):
        done = subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True, capture_output=True)
    flower_password = re.search(r"password: (\S+)", done.stdout.decode())
    assert flower_password is not None

    with ExitStack() as stack:
        logs = {}
        for name, command in procfile_commands().items():
            logs[name] = tmp_path / f"{name}.log"
            stack.enter_context(running(["bash", "-c", f"exec {command}"], env, logs[name]))

        base = f"http://127.0.0.1:{web_port}"
        wait_until(lambda: get(f"{base}/healthz")[0] == 200, 60, "web to answer")
        wait_until(lambda: "ready." in logs["worker"].read_text(errors="replace"), 60, "the worker")
        wait_until(lambda: get(f"http://127.0.0.1:{flower_port}/healthcheck")[0] == 200, 60, "Flower")
        flower = f"http://127.0.0.1:{flower_port}/"
        flower_without_login = get(flower)[0]
        flower_with_login = get(flower, ("admin", flower_password.group(1)))[0]
        status, body = get(f"{base}/readyz")
        home_status, home = get(f"{base}/")
        # A job through the outbox on SQLite and the filesystem broker, done by the worker.
        enqueue_ping = "from jobs.services import enqueue; enqueue('jobs.tasks.ping', 'embedded')"
        subprocess.run([sys.executable, "manage.py", "shell", "-c", enqueue_ping], cwd=ROOT, env=env, check=True)
        wait_until(lambda: "pong from" in logs["worker"].read_text(errors="replace"), 60, "the worker to run the job")
        wait_until(lambda: get(f"http://127.0.0.1:{metrics_port}/metrics")[0] == 200, 60, "the exporter")
        gauges = get(f"http://127.0.0.1:{metrics_port}/metrics")[1].decode()
        web_metrics = get(f"http://127.0.0.1:{web_metrics_port}/metrics")[1].decode()

    assert status == 200, body
    assert json.loads(body)["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
    assert home_status == 200
    assert (flower_without_login, flower_with_login) == (401, 200)
    assert b"DrillQuiz" in home
    assert re.search(r"beat: Starting", logs["beat"].read_text())
    # On SQLite, the file cache and the filesystem broker, every source answers.
    for source in ("database", "broker", "cache"):
        assert f'drillquiz_metrics_source_up{{source="{source}"}} 1.0' in gauges, gauges
    assert 'drillquiz_queue_messages{queue="default"}' in gauges
    assert "django_http_requests_latency_seconds_by_view_method" in web_metrics


def test_the_local_flower_login_is_made_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    env = process_env(unset=EMBEDDED_UNSET, DRILLQUIZ_VAR_DIR=str(tmp_path / "var"))
    make = [sys.executable, "manage.py", "create_local_flower_login"]

    first = subprocess.run(make, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    again = subprocess.run(make, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout

    config = tmp_path / "var" / "flowerconfig.py"
    password = re.search(r"password: (\S+)", first)
    assert password is not None
    assert f"admin:{password.group(1)}" in config.read_text()
    assert config.stat().st_mode & 0o777 == 0o600
    assert "password unchanged" in again
    assert password.group(1) not in again
