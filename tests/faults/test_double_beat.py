"""Two beat processes running at once for a minute: no duplicate email, backup or reminder."""

import re
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from backup.models import Backup
from tests.backup.test_backup import files_in
from tests.conftest import MailServer
from tests.faults.conftest import PrivateRedis
from tests.processes import CELERY, running, wait_until, worker_process
from tests.quiz.test_reminders import learners_due_this_hour

pytestmark = pytest.mark.django_db(transaction=True)
SENT = re.compile(r"Sending due task (\S+)")


def every(seconds: int, task: str) -> None:
    interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name=task, task=task, interval=interval)


def sent_by(log: Path) -> list[str]:
    return SENT.findall(log.read_text(errors="replace"))


def test_two_beats_for_a_minute_send_each_due_task_once(
    private_redis: PrivateRedis, mail_server: MailServer, tmp_path: Path
) -> None:
    learners_due_this_hour()
    every(10, "quiz.tasks.send_due_review_reminders")
    every(20, "backup.tasks.backup_database")
    env = private_redis.env(
        EMAIL_URL=f"smtp://127.0.0.1:{mail_server.port}",
        BACKUP_DIR=str(tmp_path / "backups"),
        BACKUP_SCHEDULE_WINDOW_SECONDS="5",  # each 20 s slot is its own scheduled backup here
    )
    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]
    with worker_process(env, tmp_path / "worker.log", "busy@faults", pool="prefork"), ExitStack() as beats:
        for number, log in enumerate(logs, start=1):
            beat_env = {**env, "BEAT_HEARTBEAT_FILE": str(tmp_path / f"beat-{number}.alive")}
            beats.enter_context(running([CELERY, "-A", "drillquiz", "beat", "--loglevel", "INFO"], beat_env, log))
        # The minute starts with the leader's first send, however long the beats took to start.
        wait_until(lambda: any(sent_by(log) for log in logs), 30, "a beat to send a due task")
        time.sleep(60)  # the behaviour under test: two beats side by side for a minute
        beats.close()
        # A task sent in the last moment must still run before the worker stops, or it looks lost.
        wait_until(private_redis.idle, 60, "the worker to run every task the leader sent")
    assert not Backup.objects.filter(status="running").exists()

    sent = [sent_by(log) for log in logs]
    assert [bool(tasks) for tasks in sent].count(True) == 1, "exactly one beat sent tasks (the leader)"
    leader_sent = max(sent, key=len)
    backups_sent = leader_sent.count("backup.tasks.backup_database")
    assert 2 <= backups_sent <= 4
    assert leader_sent.count("quiz.tasks.send_due_review_reminders") >= 5
    assert Backup.objects.filter(status="succeeded").count() == backups_sent
    assert len(files_in(tmp_path / "backups")) == backups_sent
    # Every fan-out found the learners due; each got one reminder, on the first.
    assert sorted(message["To"] for message in mail_server.inbox.messages) == ["la@example.com", "seoul@example.com"]
