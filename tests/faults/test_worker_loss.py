"""A worker killed with SIGKILL in the middle of a task loses no task, and its effect happens once."""

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from pytest_django import Settings

from backup.models import Backup
from backup.tasks import backup_database
from jobs.services import enqueue
from tests.backup.test_backup import TableLock, files_in, pg_dump_running
from tests.factories import make_exam
from tests.faults.conftest import PrivateRedis
from tests.processes import wait_until, worker_process

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_backup_whose_worker_is_killed_runs_again_and_leaves_one_file(
    settings: Settings, private_redis: PrivateRedis, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    backups = tmp_path / "backups"
    settings.BACKUP_DIR = backups
    make_exam("Locked during the kill")
    lock = TableLock("quiz_exam")  # the dump waits on it, so the kill lands mid-dump
    env = private_redis.env(
        BACKUP_DIR=str(backups),
        # Redis hands the task of a lost worker to another after this; production keeps 3600 s.
        BROKER_VISIBILITY_TIMEOUT="5",
        BROKER_RESTORE_INTERVAL="1",
        BROKER_RESTORE_THROTTLE="1",
    )
    log = tmp_path / "worker.log"
    try:
        with worker_process(env, log, "doomed@faults", pool="prefork") as doomed:
            enqueue(backup_database.name, "admin")
            wait_until(lambda: pg_dump_running(connection.settings_dict["NAME"]), 30, "the dump to start")
            os.killpg(doomed.pid, signal.SIGKILL)  # the whole pod dies: main process and pool child
            doomed.wait()
        wait_until(lambda: not pg_dump_running(connection.settings_dict["NAME"]), 10, "pg_dump to die with its worker")
        assert Backup.objects.get().status == Backup.Status.RUNNING  # lost mid-flight, not finished
    finally:
        lock.release()

    killed = time.monotonic()
    with worker_process(env, log, "heir@faults", pool="prefork"):
        wait_until(lambda: Backup.objects.filter(status="succeeded").exists(), 60, "the backup to run again")
    record_property("backup_done_after_kill_seconds", round(time.monotonic() - killed, 1))  # RELIABILITY.md

    backup = Backup.objects.get()
    assert backup.attempts == 2
    assert files_in(backups) == [backup.file_name]  # one file, no partial left by the killed attempt
    assert subprocess.run(["zstd", "-t", str(backups / backup.file_name)], check=False).returncode == 0
