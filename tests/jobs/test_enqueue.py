"""Jobs are enqueued by task name: a name no worker runs fails at once, before anything is written."""

import json
import subprocess
import sys

import pytest
from django.db import transaction

from jobs.models import OutboxMessage, TrackedJob
from jobs.services import UnknownTask, enqueue, start_job
from tests.factories import make_user
from tests.processes import ROOT, process_env


def test_a_job_for_a_registered_and_routed_task_is_recorded(db: None) -> None:
    enqueue("accounts.tasks.send_welcome_email", 1)

    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [("accounts.tasks.send_welcome_email", [1])]


def test_a_misspelt_task_name_fails_at_once_and_writes_nothing(db: None) -> None:
    with pytest.raises(UnknownTask, match=r"accounts\.tasks\.send_welcom_email"):
        enqueue("accounts.tasks.send_welcom_email", 1)

    assert not OutboxMessage.objects.exists()


def test_a_registered_task_that_no_queue_is_routed_for_is_refused(db: None) -> None:
    with pytest.raises(UnknownTask, match=r"celery\.backend_cleanup"):
        enqueue("celery.backend_cleanup")

    assert not OutboxMessage.objects.exists()


def test_a_job_started_for_a_misspelt_task_leaves_no_tracked_job(db: None) -> None:
    user = make_user("learner")

    with pytest.raises(UnknownTask), transaction.atomic():
        start_job(user, "jobs.tasks.pong")

    assert not TrackedJob.objects.exists()
    assert not OutboxMessage.objects.exists()


def run_in_a_fresh_process(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=process_env(DJANGO_SETTINGS_MODULE="drillquiz.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )


# A fresh process, as a web process is before its first enqueue: it has imported no tasks module.
FIRST_CHECK_IN_A_FRESH_PROCESS = """
import logging, django
django.setup()
marker = logging.NullHandler()
logging.getLogger().addHandler(marker)
from jobs.services import check_task_name
check_task_name("accounts.tasks.send_welcome_email")
print(marker in logging.getLogger().handlers)
"""


def test_the_first_task_name_check_finds_the_tasks_and_leaves_logging_alone() -> None:
    result = run_in_a_fresh_process(FIRST_CHECK_IN_A_FRESH_PROCESS)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "True\n"


# The first requests after a web process starts come at once (the soak saw a 500 from this).
FIRST_CHECKS_AT_ONCE = """
import json, threading, django
django.setup()
from jobs.services import registered_tasks
everyone_ready = threading.Barrier(8)
seen = []
def check():
    everyone_ready.wait()
    seen.append(len(registered_tasks()))
threads = [threading.Thread(target=check) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
from celery import current_app
print(json.dumps({"seen": seen, "all": len(current_app.tasks)}))  # every tasks module is imported by now
"""


def test_first_task_name_checks_at_once_all_find_every_task() -> None:
    result = run_in_a_fresh_process(FIRST_CHECKS_AT_ONCE)

    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["seen"] == [counts["all"]] * 8
