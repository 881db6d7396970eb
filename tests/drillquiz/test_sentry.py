"""Error reports: with SENTRY_DSN, a failing view and a failing task reach Sentry without a secret,
and beat's tasks are reported as cron check-ins; without it, sentry-sdk is not loaded; an unreachable
Sentry breaks nothing."""

import gzip
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from pytest_httpserver import HTTPServer

from jobs.services import enqueue
from quiz.tasks import reschedule_reviews
from tests.processes import CELERY, ROOT, process_env, running, wait_until, worker_process

SLACK_TOKEN = "T0000/B0000/hunter2-slack-token-for-sentry"
SECRETS = {
    "SLACK_WEBHOOK_URL": f"http://127.0.0.1:9/services/{SLACK_TOKEN}",
    "SECRET_KEY": "hunter2-secret-key-that-must-never-leave-the-site",
}
FAIL_A_VIEW = """
import django
django.setup()
import sentry_sdk
from django.test import Client, override_settings
with override_settings(ROOT_URLCONF="tests.drillquiz.failing_urls", ALLOWED_HOSTS=["testserver"]):
    client = Client(raise_request_exception=False)
    response = client.post("/boom/", {"password": "hunter2-password"}, headers={"Authorization": "Bearer hunter2"})
    print(response.status_code)
sentry_sdk.flush(10)
"""


def sentry_env(server: HTTPServer) -> dict[str, str]:
    dsn = f"http://publickey42@127.0.0.1:{server.port}/1"
    return {
        **process_env(),
        **SECRETS,
        "SENTRY_DSN": dsn,
        "SENTRY_RELEASE": "drillquiz@1.2.3",
        "SENTRY_ENVIRONMENT": "test",
    }


def run_python(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**env, "DJANGO_SETTINGS_MODULE": "drillquiz.settings"}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def envelopes(server: HTTPServer) -> list[tuple[str, list[dict[str, Any]]]]:
    """(raw text, parsed items) of each envelope Sentry's SDK posted."""
    found = []
    for request, _ in server.log:
        body = request.get_data()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        text = body.decode()
        found.append((text, [json.loads(line) for line in text.splitlines() if line.strip()]))
    return found


def events(server: HTTPServer) -> list[tuple[str, dict[str, Any]]]:
    return [(text, item) for text, items in envelopes(server) for item in items if "exception" in item]


def reports(server: HTTPServer) -> list[tuple[str | None, str]]:
    """(task or view, exception type) of each error reported."""
    return [(event.get("transaction"), event["exception"]["values"][-1]["type"]) for _, event in events(server)]


THE_TASKS_REPORT = ("quiz.tasks.reschedule_reviews", "InvalidTaskArguments")


def assert_no_secret(text: str) -> None:
    for secret in (SLACK_TOKEN, SECRETS["SECRET_KEY"], "hunter2", "publickey42"):
        assert secret not in text


def test_a_failing_view_is_reported_with_its_release_and_no_secret(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/1/envelope/").respond_with_data("{}")

    result = run_python(FAIL_A_VIEW, sentry_env(httpserver))

    assert result.stdout.strip() == "500", result.stderr[-2000:]
    [(text, event)] = events(httpserver)
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert (event["release"], event["environment"]) == ("drillquiz@1.2.3", "test")
    assert "boom while calling" in text
    assert_no_secret(text)
    assert not event["request"].get("data")  # no request body, however small


def test_a_failing_task_is_reported_from_the_worker_without_a_secret(
    httpserver: HTTPServer, transactional_db: None, tmp_path: Path
) -> None:
    httpserver.expect_request("/api/1/envelope/").respond_with_data("{}")

    with worker_process(sentry_env(httpserver), tmp_path / "worker.log", "sentry@test"):
        enqueue(reschedule_reviews.name, SECRETS["SLACK_WEBHOOK_URL"])
        wait_until(lambda: THE_TASKS_REPORT in reports(httpserver), 30, "the task's error report")

    # Other reports may come too: the dead-letter path's Slack alert fails (its webhook here is a
    # closed port), and the worker may take a message another test left in the shared queues.
    for text, _ in envelopes(httpserver):
        assert_no_secret(text)


def check_ins(server: HTTPServer, monitor: str) -> list[str]:
    """The statuses of the cron check-ins Sentry heard for the monitor, in order."""
    return [item["status"] for _, items in envelopes(server) for item in items if item.get("monitor_slug") == monitor]


def test_beat_tasks_are_reported_as_cron_check_ins(
    httpserver: HTTPServer, transactional_db: None, tmp_path: Path
) -> None:
    httpserver.expect_request("/api/1/envelope/").respond_with_data("{}")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(
        name="sentry-ping",
        task="jobs.tasks.ping",
        interval=every_minute,
        last_run_at=timezone.now() - timedelta(minutes=2),  # due at once, not a minute from now
    )
    env = {**sentry_env(httpserver), "BEAT_HEARTBEAT_FILE": str(tmp_path / "beat.alive")}

    beat = [CELERY, "-A", "drillquiz", "beat", "--loglevel", "INFO"]
    with worker_process(env, tmp_path / "worker.log", "crons@test"), running(beat, env, tmp_path / "beat.log"):
        # Beat says the run started; the worker says how it ended.
        wait_until(lambda: check_ins(httpserver, "sentry-ping")[:2] == ["in_progress", "ok"], 60, "check-ins")

    [(_, items)] = [envelope for envelope in envelopes(httpserver) if '"in_progress"' in envelope[0]]
    [config] = [item["monitor_config"] for item in items if "monitor_config" in item]
    assert config["schedule"] == {"type": "interval", "value": 1, "unit": "minute"}
    for text, _ in envelopes(httpserver):
        assert_no_secret(text)


def test_without_a_dsn_sentry_is_not_loaded() -> None:
    result = run_python("import django, sys; django.setup(); print('sentry_sdk' in sys.modules)", process_env())

    assert result.stdout.strip() == "False", result.stderr[-2000:]


def test_an_unreachable_sentry_breaks_neither_a_page_nor_a_task(transactional_db: None, tmp_path: Path) -> None:
    closed = {**process_env(), **SECRETS, "SENTRY_DSN": "http://key@127.0.0.1:9/1"}
    script = FAIL_A_VIEW.replace('client.post("/boom/"', 'client.get("/healthz"')

    page = run_python(script, closed)

    assert page.stdout.strip() == "200", page.stderr[-2000:]
    with worker_process(closed, tmp_path / "worker.log", "nosentry@test") as worker:
        assert worker.poll() is None
