"""Redis restarts (its data kept or lost): web, worker and beat recover by themselves, and new jobs
run within 30 seconds, with no process restarted."""

import json
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult
from pytest_django import Settings

from backup.models import Backup
from backup.tasks import backup_database
from jobs.services import enqueue
from tests.backup.test_backup import TableLock, files_in, pg_dump_running
from tests.factories import make_exam, make_user
from tests.faults.conftest import PrivateRedis
from tests.processes import CELERY, running, wait_until, worker_process

pytestmark = pytest.mark.django_db(transaction=True)
RECOVERY_SECONDS = 30
FAULTS = 3


def pings(note: str) -> int:
    results = TaskResult.objects.filter(task_name="jobs.tasks.ping", status="SUCCESS")
    return sum(json.loads(result.result)["note"] == note for result in results)


WORKER_LOST = "Connection to broker lost"
BEAT_LOST = "beat cannot reach Redis"


def lost_redis(log: Path, line: str) -> int:
    """How often a process's log says it lost Redis."""
    return log.read_text(errors="replace").count(line)


def backups_made(count: int) -> bool:
    return Backup.objects.filter(status="succeeded").count() == count


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

        lost = [lost_redis(tmp_path / "worker.log", WORKER_LOST), lost_redis(tmp_path / "beat.log", BEAT_LOST)]
        private_redis.stop()
        # Both feel the outage before it ends: the worker on its waiting BRPOP, beat at its next tick.
        wait_until(lambda: lost_redis(tmp_path / "worker.log", WORKER_LOST) > lost[0], 30, "the worker to lose Redis")
        wait_until(lambda: lost_redis(tmp_path / "beat.log", BEAT_LOST) > lost[1], 30, "beat to lose Redis")
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


@pytest.mark.parametrize("fault", ["restart", "drop_clients"], ids=["redis-restarted", "connections-dropped"])
def test_a_worker_with_a_backup_in_flight_survives_losing_redis(
    fault: str,
    client: Client,
    settings: Settings,
    private_redis: PrivateRedis,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    """The worker loses Redis while it runs a backup and waits on BRPOP for more work: the moment that
    made kombu's own transport stop the worker (drillquiz/broker.py). When Redis stayed up, the
    worker's reconnect gives the running backup's task out again (to this worker's free slot), and it
    must leave the running backup alone. The worker keeps running, a job from the web runs within
    30 s of each fault, and each backup is made once."""
    private_redis.keep_data = True
    private_redis.restart()  # now with its append-only file
    client.force_login(make_user("learner"))
    backups = tmp_path / "backups"
    settings.BACKUP_DIR = backups
    make_exam("Locked while the worker loses Redis")
    env = private_redis.env(BACKUP_DIR=str(backups))
    slowest = 0.0
    with worker_process(env, tmp_path / "worker.log", "steady@faults", pool="prefork", concurrency=2) as worker:
        for faults in range(1, FAULTS + 1):
            lock = TableLock("quiz_exam")  # the dump waits on it: the backup is in flight during the fault
            try:
                enqueue(backup_database.name, "admin")
                wait_until(lambda: pg_dump_running(connection.settings_dict["NAME"]), 30, "the dump to start")
                getattr(private_redis, fault)()
                slowest = max(slowest, job_done(client))
                assert worker.poll() is None, "the worker exited"
            finally:
                lock.release()
            wait_until(partial(backups_made, faults), 60, "the backup")
        assert worker.poll() is None, "the worker exited"
    record_property("slowest_web_job_after_fault_seconds", round(slowest, 1))
    assert slowest < RECOVERY_SECONDS
    made = list(Backup.objects.all())
    assert [(backup.status, backup.attempts) for backup in made] == [("succeeded", 1)] * FAULTS
    assert files_in(backups) == sorted(backup.file_name for backup in made)
