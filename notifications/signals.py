"""The dead-letter hook (Celery's task_failure fires once a task fails for good, no retry left), and
the word to a user whose job finished (jobs.signals.job_finished)."""

from typing import Any

from celery import Task
from celery.signals import task_failure
from django.dispatch import receiver
from django.urls import reverse

from drillquiz.log import redact
from jobs.models import TrackedJob
from jobs.signals import job_finished
from notifications.models import Level
from notifications.services import FailureReported, notify_users, report_failed_task
from notifications.tasks import send_slack_alert


@task_failure.connect
def on_task_failure(sender: Task[..., object], task_id: str, exception: BaseException, **kwargs: Any) -> None:
    if isinstance(exception, FailureReported):
        return
    # Only the exception goes out, never the task's arguments, which may hold addresses or tokens.
    error = redact(f"{type(exception).__name__}: {exception}")[:500]
    # A failure of the Slack task itself is not sent to Slack: that could only fail again. The task
    # is a shared task's proxy, which compares as the task it stands for.
    report_failed_task(sender.name, task_id, error, to_slack=send_slack_alert != sender)


@receiver(job_finished)
def tell_the_owner(sender: type[TrackedJob], job: TrackedJob, **kwargs: Any) -> None:
    """A job a user started from a page has finished: tell them, live."""
    link = reverse("jobs:status", args=[job.task_id])
    notify_users([job.user_id], Level.SUCCESS, f"Job finished: {job.task_name}", link=link)
