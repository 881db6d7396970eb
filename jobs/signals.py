import uuid
from datetime import timedelta
from typing import Any

from celery import Task
from celery.signals import task_success, worker_ready
from django.dispatch import Signal

from jobs import outbox
from jobs.models import TrackedJob
from jobs.services import TRACKED_JOB_HEADER

# Sent with job=<TrackedJob> once a job a user started has succeeded (notifications tells them).
job_finished = Signal()


@worker_ready.connect
def relay_outbox_at_worker_start(**kwargs: Any) -> None:
    """A worker that starts (after an outage, a deploy) first publishes what the outbox holds."""
    outbox.relay(older_than=timedelta(0))  # all of it: a duplicate of an in-flight publish is harmless


@task_success.connect
def on_tracked_job_success(sender: Task[..., object], **kwargs: Any) -> None:
    """A job start_job marked has succeeded: send job_finished. Other tasks are not looked up."""
    if not getattr(sender.request, TRACKED_JOB_HEADER, None):
        return
    # A task id is any string to Celery (a forged message, a caller's own id): only a UUID can be a job's.
    try:
        task_id = uuid.UUID(str(sender.request.id))
    except ValueError:
        return
    job = TrackedJob.objects.filter(task_id=task_id).first()
    if job is not None:
        job_finished.send(sender=TrackedJob, job=job)
