"""The worker path on each broker we support, with the worker as its own process."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django_celery_results.models import TaskResult
from kombu import Connection, Queue
from kombu.exceptions import ChannelError

from drillquiz.celery import app
from jobs.tasks import ping
from tests.processes import CELERY, ROOT, process_env, wait_until, worker_process


def embedded_broker(var_dir: Path) -> tuple[Connection, dict[str, str]]:
    """make run's default: no CELERY_BROKER_URL, kombu's filesystem transport under the var folder."""
    env = process_env(unset=("CELERY_BROKER_URL",), DRILLQUIZ_VAR_DIR=str(var_dir))
    prepare = subprocess.run(
        [sys.executable, "manage.py", "prepare_local_broker"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert prepare.returncode == 0, prepare.stderr
    broker = var_dir / "broker"
    options = {
        "data_folder_in": str(broker / "queue"),
        "data_folder_out": str(broker / "queue"),
        "processed_folder": str(broker / "processed"),
        "control_folder": str(broker / "control"),
    }
    return Connection("filesystem://localhost/", transport_options=options), env


def rabbitmq_broker(var_dir: Path) -> tuple[Connection, dict[str, str]]:
    """RabbitMQ, reached by changing CELERY_BROKER_URL alone."""
    url = os.environ["RABBITMQ_TEST_URL"]
    return Connection(url), process_env(CELERY_BROKER_URL=url)


@pytest.mark.parametrize("make_broker", [embedded_broker, rabbitmq_broker], ids=["embedded", "rabbitmq"])
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_jobs_and_answers_its_health_check(
    make_broker: Callable[[Path], tuple[Connection, dict[str, str]]], tmp_path: Path
) -> None:
    connection, env = make_broker(tmp_path / "var")
    node = f"health-{make_broker.__name__}@localhost"
    log = tmp_path / "worker.log"

    with worker_process(env, log, node), connection:
        result = app.send_task(ping.name, connection=connection)
        wait_until(lambda: TaskResult.objects.filter(task_id=result.id, status="SUCCESS").exists(), 30, "ping")
        health = subprocess.run(
            [CELERY, "-A", "drillquiz", "inspect", "ping", "--destination", node, "--timeout", "10"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert health.returncode == 0, health.stdout + health.stderr
    assert "pong" in health.stdout
    assert f"[jobs.tasks.ping {result.id}] pong from" in log.read_text()


def waiting_messages(queue: Queue) -> int:
    try:
        # kombu's hints say the queue's name; a passive declare answers AMQP's declare-ok, with the count.
        count: int = queue.queue_declare(passive=True).message_count  # type: ignore[union-attr]
        return count
    except ChannelError:  # Redis keeps no empty queue, so a passive declare of one fails
        return 0


@pytest.mark.parametrize("broker_url", [settings.CELERY_BROKER_URL, os.environ["RABBITMQ_TEST_URL"]])
def test_a_job_lands_in_its_own_queue_only(broker_url: str) -> None:
    queues = app.amqp.queues
    with Connection(broker_url) as connection:
        bound = {name: queue.bind(connection) for name, queue in queues.items()}
        for queue in bound.values():
            queue.declare()
            queue.purge()
        for task_name in ("jobs.tasks.ping", "notifications.tasks.send_slack_alert"):
            app.send_task(task_name, args=[{"text": "x"}] if "slack" in task_name else [], connection=connection)
        waiting = {name: waiting_messages(queue) for name, queue in bound.items()}
        for queue in bound.values():
            queue.purge()

    assert waiting == {"default": 1, "translations": 0, "notifications": 1, "backups": 0}
