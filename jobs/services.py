"""Starting background jobs on behalf of a user, and reading their state back."""

from typing import Any

from celery import Task
from celery.result import AsyncResult
from django.db import transaction

from accounts.models import User
from jobs.models import TrackedJob


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
