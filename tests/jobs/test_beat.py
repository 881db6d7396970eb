"""Real celery beat processes: Admin's changes take effect without a restart, and a second beat
started by mistake stands by instead of sending every task twice."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult
from pytest_django import Settings

from tests.factories import make_user
from tests.processes import CELERY, process_env, running, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def pings(note: str | None = None) -> int:
    results = TaskResult.objects.filter(task_name="jobs.tasks.ping", status="SUCCESS")
    if note is None:
        return results.count()
    return sum(json.loads(result.result)["note"] == note for result in results)


def every_second(note: str) -> PeriodicTask:
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    return PeriodicTask.objects.create(name="ping", task="jobs.tasks.ping", interval=interval, args=json.dumps([note]))


def beat(stack: ExitStack, log: Path, ttl: int = 30) -> subprocess.Popen[bytes]:
    """A beat process started as the Procfile starts it, with its own heartbeat file."""
    env = process_env(BEAT_HEARTBEAT_FILE=str(log.with_suffix(".alive")), BEAT_LEADER_TTL_SECONDS=str(ttl))
    return stack.enter_context(running([CELERY, "-A", "drillquiz", "beat", "--loglevel", "INFO"], env, log))


def log_count(log: Path, line: str) -> int:
    return log.read_text(errors="replace").count(line) if log.exists() else 0


SENT_PING = "Sending due task ping (jobs.tasks.ping)"
SCHEDULE_CHANGED = "DatabaseScheduler: Schedule changed."


def grows_by(expected: range, seconds: float) -> int:
    before = pings()
    time.sleep(seconds)
    grown = pings() - before
    assert grown in expected, f"{grown} pings in {seconds} s, expected {expected.start}..{expected.stop - 1}"
    return grown


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as processes:
        yield processes


def test_admin_changes_take_effect_without_restarting_beat(
    client: Client, tmp_path: Path, stack: ExitStack, celery_worker: object
) -> None:
    task = every_second("first")
    log = tmp_path / "beat.log"
    beat(stack, log)
    wait_until(lambda: pings("first") >= 2, 30, "beat to send the task")

    task.args = json.dumps(["second"])  # as Admin's change form saves it
    task.save()
    wait_until(lambda: pings("second") >= 2, 20, "the new arguments to be used")

    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    changelist = reverse("admin:django_celery_beat_periodictask_changelist")
    changes = log_count(log, SCHEDULE_CHANGED)
    client.post(changelist, {"action": "disable_tasks", "_selected_action": [task.pk]})
    task.refresh_from_db()
    assert task.enabled is False
    # Beat says when it re-reads the schedule (within its 5 s loop); a ping it sent before that
    # may still be on its way to the worker, so the quiet time starts once every sent one has run.
    wait_until(lambda: log_count(log, SCHEDULE_CHANGED) > changes, 20, "beat to notice the disabled task")
    sent = log_count(log, SENT_PING)
    wait_until(lambda: pings() >= sent, 20, "the pings beat sent before the change to run")
    grows_by(range(0, 1), 6)


def test_a_second_beat_stands_by_and_takes_over_when_the_leader_dies(
    tmp_path: Path, stack: ExitStack, celery_worker: object
) -> None:
    every_second("both")
    first = beat(stack, tmp_path / "first.log", ttl=4)
    wait_until(lambda: pings() >= 1, 30, "the first beat to send the task")
    beat(stack, tmp_path / "second.log", ttl=4)
    # Beat touches its heartbeat file at each tick, just before it tries for the leader lock.
    wait_until((tmp_path / "second.alive").exists, 30, "the second beat to tick")

    grows_by(range(4, 10), 8)  # about one a second; two beats would send about 16

    first.send_signal(signal.SIGKILL)
    wait_until(lambda: "leader now" in (tmp_path / "second.log").read_text(), 20, "the second beat to take over")
    grows_by(range(3, 9), 6)


def test_beat_health_fails_with_one_line_when_beat_is_not_ticking(settings: Settings, tmp_path: Path) -> None:
    settings.BEAT_HEARTBEAT_FILE = tmp_path / "alive"
    with pytest.raises(CommandError, match=r"beat has not ticked: no .*alive"):
        call_command("beat_health")
    settings.BEAT_HEARTBEAT_FILE.touch()
    call_command("beat_health")
    old = time.time() - 120
    os.utime(settings.BEAT_HEARTBEAT_FILE, (old, old))
    with pytest.raises(CommandError, match=r"beat last ticked 12\d s ago \(more than 60 s\)"):
        call_command("beat_health")
