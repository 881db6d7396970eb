"""A real Prometheus server scrapes the running processes (web, the exporter, and the worker through
Flower) with the alert rules loaded, and its HTTP API has their series."""

import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.utils import timezone

from backup.models import Backup
from jobs.services import enqueue
from jobs.tasks import ping
from tests.monitoring.files import RULES, alert_expressions, dashboard_expressions, metric_names, tool
from tests.processes import CELERY, WebServer, free_port, process_env, running, wait_until, worker_process

pytestmark = pytest.mark.django_db(transaction=True)


def api(base: str, path: str, **params: str) -> Any:
    url = f"{base}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own local server
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local process
            return True
    except OSError:
        return False


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The scrape targets, running on the test database and Redis: {job name: host:port}."""
    Backup.objects.create(
        trigger="schedule",
        engine="postgresql",
        status="succeeded",
        started=timezone.now(),
        finished=timezone.now(),
        drilled=timezone.now(),
        drill_ok=True,
    )
    ports = {"web": free_port(), "exporter": free_port(), "flower": free_port()}
    env = process_env(BEAT_HEARTBEAT_FILE=str(tmp_path / "beat-heartbeat"), METRICS_SOURCE_TIMEOUT_SECONDS="3")
    with ExitStack() as stack:
        web = WebServer(tmp_path / "web.log", WEB_METRICS_PORT=str(ports["web"]))
        web.start()
        stack.callback(web.stop)
        flower = [CELERY, "-A", "drillquiz", "flower", "--address=127.0.0.1", f"--port={ports['flower']}"]
        stack.enter_context(running(flower, env, tmp_path / "flower.log"))
        wait_until(lambda: answers(f"http://127.0.0.1:{ports['flower']}/healthcheck"), 60, "Flower")
        stack.enter_context(worker_process(env, tmp_path / "worker.log", "scrape@%h"))
        stack.enter_context(
            running([CELERY, "-A", "drillquiz", "beat", "--loglevel", "INFO"], env, tmp_path / "beat.log")
        )
        exporter = [sys.executable, "manage.py", "serve_metrics", "--port", str(ports["exporter"])]
        stack.enter_context(running(exporter, env, tmp_path / "exporter.log"))
        wait_until(lambda: answers(f"http://127.0.0.1:{ports['exporter']}/metrics"), 30, "the exporter")
        # Some traffic and a job, so that requests, queries, cache calls and task events have series.
        for path in ("/", "/readyz", "/no-such-page"):
            answers(f"{web.url}{path}")
        enqueue(ping.name, "scrape")
        yield {job: f"127.0.0.1:{port}" for job, port in ports.items()}


@pytest.fixture
def prometheus(tmp_path: Path, processes: dict[str, str]) -> Iterator[str]:
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {"job_name": job, "scrape_timeout": "900ms", "static_configs": [{"targets": [target]}]}
            for job, target in processes.items()
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    args = [
        tool("prometheus"),
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    args += [f"--storage.tsdb.path={tmp_path / 'tsdb'}", "--log.level=warn"]
    with running(args, process_env(), tmp_path / "prometheus.log"):
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(f"{base}/-/ready"), 60, "Prometheus to be ready")
        yield base


def scraped_names(base: str) -> set[str]:
    return set(api(base, "label/__name__/values"))


def test_prometheus_scrapes_every_process_and_has_every_series_the_alerts_and_dashboard_read(prometheus: str) -> None:
    wanted = metric_names(dashboard_expressions()) | metric_names(list(alert_expressions().values()))

    def all_up() -> bool:
        up = api(prometheus, "query", query="up")["result"]
        return len(up) == 3 and all(item["value"][1] == "1" for item in up)

    wait_until(all_up, 60, "Prometheus to scrape web, exporter and Flower")
    wait_until(lambda: wanted <= scraped_names(prometheus), 60, f"the series {wanted - scraped_names(prometheus)}")
    workers = api(prometheus, "query", query="sum(flower_worker_online)")["result"]
    sources = api(prometheus, "query", query="min(drillquiz_metrics_source_up)")["result"]
    beat = api(prometheus, "query", query="drillquiz_beat_heartbeat_age_seconds")["result"]
    rules = [rule for group in api(prometheus, "rules")["groups"] for rule in group["rules"]]

    assert float(workers[0]["value"][1]) >= 1
    assert sources[0]["value"][1] == "1"
    assert float(beat[0]["value"][1]) < 30  # the beat started above leads and beats
    assert {rule["name"] for rule in rules} == set(alert_expressions())
    assert all(rule["health"] == "ok" for rule in rules), rules
    firing = {rule["name"] for rule in rules if rule["state"] == "firing"}
    assert firing & {"NoWorkerOnline", "BeatSilent", "BackupMissing", "MetricsSourceDown"} == set()
