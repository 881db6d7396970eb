"""Enqueueing background jobs after commit, and the state of jobs started by a user."""

import logging
from typing import Any

from celery import Task
from celery.result import AsyncResult
from django.db import transaction

from accounts.models import User
from jobs.models import TrackedJob

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, task_id: str | None = None) -> None:
    """Enqueue task(*args) once the current transaction commits (at once outside one).

    A worker never sees a row that is not committed or that gets rolled back, and a broker that
    cannot take the job is logged instead of breaking the caller.
    """
    transaction.on_commit(lambda: task.apply_async(args, task_id=task_id), robust=True)


@transaction.atomic
def start_job(user: User, task: Task, *args: Any) -> TrackedJob:
    """Record a job for user and enqueue task(*args) once this transaction commits."""
    job = TrackedJob.objects.create(user=user, task_name=task.name)
    task_id = str(job.task_id)
    transaction.on_commit(lambda: task.apply_async(args, task_id=task_id))
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
