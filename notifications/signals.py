"""The dead-letter hook: Celery's task_failure fires once a task fails for good (no retry left)."""

from typing import Any

from celery import Task
from celery.signals import task_failure

from drillquiz.log import redact
from notifications.services import report_failed_task


@task_failure.connect
def on_task_failure(sender: Task, task_id: str, exception: BaseException, **kwargs: Any) -> None:
    # Only the exception goes out, never the task's arguments, which may hold addresses or tokens.
    error = redact(f"{type(exception).__name__}: {exception}")[:500]
    report_failed_task(sender.name, task_id, error)
