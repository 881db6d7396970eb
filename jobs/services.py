"""Enqueueing background jobs after commit, and the state of jobs started by a user."""

from datetime import datetime
from typing import Any

from celery import Task, states
from celery.result import AsyncResult
from django.db import transaction
from django_celery_results.models import TaskResult

from accounts.models import User
from jobs import outbox
from jobs.models import TrackedJob

# Failures are counted up to this many: past it, the alert on them has long fired.
FAILED_COUNT_LIMIT = 1000


def enqueue(task: Task, *args: Any, task_id: str | None = None) -> None:
    """Enqueue task(*args) through the outbox: recorded in the current transaction (so it exists
    exactly when the data it belongs to does) and published once that commits.

    A worker never sees a row that is not committed or that gets rolled back, and a broker that
    cannot take the job leaves it to the relay instead of breaking or slowing the caller.
    """
    outbox.record(task.name, list(args), task_id)


@transaction.atomic
def start_job(user: User, task: Task, *args: Any) -> TrackedJob:
    """Record a job for user and enqueue task(*args) once this transaction commits."""
    job = TrackedJob.objects.create(user=user, task_name=task.name)
    outbox.record(task.name, list(args), str(job.task_id))
    return job


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
