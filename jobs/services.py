"""Enqueueing background jobs after commit, and the state of jobs started by a user."""

import threading
from datetime import datetime
from functools import cache
from typing import Any

from celery import current_app, states
from celery.result import AsyncResult
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django_celery_results.models import TaskResult

from drillquiz.celery import HEADER_PREFIX
from jobs import outbox
from jobs.models import TrackedJob

# The message header that marks a job a user started (start_job), so that only its success is
# looked up (jobs.signals); every other task's costs nothing. Prefixed so that retries keep it.
TRACKED_JOB_HEADER = f"{HEADER_PREFIX}tracked_job"

# Failures are counted up to this many: past it, the alert on them has long fired.
FAILED_COUNT_LIMIT = 1000


class UnknownTask(ValueError):
    """A job named a task that no worker runs or no queue is routed for: a typo, caught at once."""


def enqueue(task_name: str, *args: Any, task_id: str | None = None) -> None:
    """Enqueue the task named task_name (e.g. "accounts.tasks.send_welcome_email") with args
    through the outbox: recorded in the current transaction (so it exists exactly when the data it
    belongs to does) and published once that commits.

    A worker never sees a row that is not committed or that gets rolled back, and a broker that
    cannot take the job leaves it to the relay instead of breaking or slowing the caller. By name,
    so the apps that enqueue need not import the tasks that call back into them.
    """
    check_task_name(task_name)
    outbox.record(task_name, list(args), task_id)


@transaction.atomic
def start_job(user: AbstractBaseUser, task_name: str, *args: Any) -> TrackedJob:
    """Record a job for user and enqueue the task named task_name with args once this transaction commits."""
    check_task_name(task_name)
    job = TrackedJob.objects.create(user_id=user.pk, task_name=task_name)
    outbox.record(task_name, list(args), str(job.task_id), headers={TRACKED_JOB_HEADER: "1"})
    return job


def check_task_name(task_name: str) -> None:
    """Raise UnknownTask unless task_name is both a registered task and routed to a queue."""
    if task_name not in settings.CELERY_TASK_ROUTES or task_name not in registered_tasks():
        raise UnknownTask(f"no task {task_name!r} is registered and routed (see CELERY_TASK_ROUTES)")


def registered_tasks() -> frozenset[str]:
    """The names of our tasks. A web process imports no tasks module by itself: import them once
    here. Forced discovery only imports each app's tasks module; the loader's import_default_modules
    would also run Celery's Django fixup, whose django.setup() configures logging again mid-request.

    One thread discovers while the others wait: a process's first requests come at once, and eight
    discoveries side by side saw 10 to 13 of 23 tasks, so a job was refused as unknown."""
    with _discovery:
        return _discovered_tasks()


_discovery = threading.Lock()


@cache
def _discovered_tasks() -> frozenset[str]:
    current_app.autodiscover_tasks(force=True)
    return frozenset(current_app.tasks)


def job_state(job: TrackedJob) -> dict[str, Any]:
    """The job's state as JSON: its result once it succeeded, an error message once it failed."""
    result: AsyncResult[Any] = AsyncResult(str(job.task_id))
    state: dict[str, Any] = {"task_id": str(job.task_id), "task": job.task_name, "state": result.state}
    if result.successful():
        state["result"] = result.result
    elif result.failed():
        state["error"] = f"{type(result.result).__name__}: {result.result}"
    return state


def failed_since(since: datetime) -> int:
    """How many tasks failed for good (the dead-letter path keeps each in the task results) since
    then, counted up to FAILED_COUNT_LIMIT through the index on date_done."""
    failed = TaskResult.objects.filter(date_done__gte=since, status=states.FAILURE)
    return failed[:FAILED_COUNT_LIMIT].count()
