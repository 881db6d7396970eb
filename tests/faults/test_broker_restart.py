"""Redis restarts (its data kept or lost): web, worker and beat recover by themselves, and new jobs
run within 30 seconds, with no process restarted."""

import json
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from tests.factories import make_user
from tests.faults.conftest import PrivateRedis
from tests.processes import CELERY, running, wait_until, worker_process

pytestmark = pytest.mark.django_db(transaction=True)
RECOVERY_SECONDS = 30


def pings(note: str) -> int:
    results = TaskResult.objects.filter(task_name="jobs.tasks.ping", status="SUCCESS")
    return sum(json.loads(result.result)["note"] == note for result in results)


def job_done(client: Client) -> float:
    """Start a job from the web as a learner would; seconds until the worker has done it."""
    started = time.monotonic()
    response = client.post("/jobs/ping/")
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    wait_until(lambda: TaskResult.objects.filter(task_id=task_id, status="SUCCESS").exists(), 60, "the job")
    return time.monotonic() - started


@pytest.mark.parametrize("keep_data", [False, True], ids=["data-lost", "data-kept"])
def test_web_worker_and_beat_recover_from_a_redis_restart(
    keep_data: bool,
    client: Client,
    private_redis: PrivateRedis,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    private_redis.keep_data = keep_data
    private_redis.restart()  # now with the persistence under test
    client.force_login(make_user("learner"))
    interval, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="beat ping", task="jobs.tasks.ping", interval=interval, args='["beat"]')
    env = private_redis.env(BEAT_HEARTBEAT_FILE=str(tmp_path / "beat-alive"))
    with ExitStack() as processes:
        processes.enter_context(worker_process(env, tmp_path / "worker.log", "survivor@faults", pool="prefork"))
        processes.enter_context(running([CELERY, "-A", "drillquiz", "beat"], env, tmp_path / "beat.log"))
        wait_until(lambda: pings("beat") >= 1, 30, "beat's first ping")
        assert job_done(client) < RECOVERY_SECONDS

        private_redis.stop()
        time.sleep(3)  # everyone notices it is gone
        private_redis.start()
        restarted = time.monotonic()

        first_job = job_done(client)  # a job from the web, through the same worker
        assert first_job < RECOVERY_SECONDS
        beat_pings = pings("beat")
        wait_until(lambda: pings("beat") > beat_pings, RECOVERY_SECONDS, "beat's pings to run again")
        record_property("first_web_job_seconds", round(first_job, 1))  # RELIABILITY.md quotes these
        record_property("beat_running_again_seconds", round(time.monotonic() - restarted, 1))
        health = subprocess.run(
            [CELERY, "-A", "drillquiz", "inspect", "ping", "--destination", "survivor@faults", "--timeout", "10"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert health.returncode == 0, health.stdout + health.stderr
        assert time.monotonic() - restarted < RECOVERY_SECONDS * 2
