"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app's tasks.py."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_prerun
from django.db import InterfaceError, OperationalError, close_old_connections

# Imported for what they register before any connection: our Redis transport under the name
# redis://, and the JSON serializer that refuses task messages over the size limit.
from drillquiz import broker, messages  # noqa: F401
from drillquiz.log import redact

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drillquiz.settings")


class DatabaseRetryingTask(Task):
    """The base of our tasks: a database that went away (a restart, a failover) fails the attempt,
    not the task; it is retried with a growing, jittered wait until the database is back."""

    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = 2
    retry_backoff_max = 60
    retry_jitter = True


class DrillQuiz(Celery):
    def bugreport(self) -> str:
        """Celery's report (`celery report`, `inspect report`, Flower's worker page), every secret hidden.

        Celery hides a setting by its name only: the Slack webhook and the Redis password inside the
        cache's LOCATION showed whole.
        """
        return redact(super().bugreport())


app = DrillQuiz("drillquiz", task_cls="drillquiz.celery:DatabaseRetryingTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def close_old_database_connections(task: Task, **kwargs: Any) -> None:
    """Before each task, as Django before each request: a connection that failed, outlived
    CONN_MAX_AGE or was left in a transaction is closed, the rest are health-checked on first use.
    Celery's own close (settings.CELERY_DB_REUSE_MAX) comes only every 1,000 tasks."""
    if not task.request.is_eager:  # an eager task runs inside its caller's transaction
        close_old_connections()
