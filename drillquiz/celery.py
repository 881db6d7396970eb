"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app's tasks.py."""

import os
from datetime import datetime
from typing import Any

from celery import Celery, Task
from celery.exceptions import Retry
from celery.signals import celeryd_init, task_prerun
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from pydantic import ValidationError

# Imported for what they register before any connection: our Redis transport under the name
# redis://, and the JSON serializer that refuses task messages over the size limit.
from drillquiz import broker, messages  # noqa: F401
from drillquiz.log import redact
from drillquiz.payloads import invalid_arguments

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drillquiz.settings")


# A database restart or failover takes seconds to a minute or two: up to 10 retries, 2 s doubling to
# at most 60 s apart (jittered), wait out about six minutes at most before the task fails for good.
DATABASE_MAX_RETRIES = 10
DATABASE_RETRY_BACKOFF = 2
DATABASE_RETRY_BACKOFF_MAX = 60
HEADER_PREFIX = "drillquiz_"
# The message header that counts a task's database retries, apart from Celery's own retry count.
DATABASE_RETRIES_HEADER = f"{HEADER_PREFIX}database_retries"
DATABASE_ERRORS = (OperationalError, InterfaceError)


class DatabaseRetryingTask(Task[Any, Any]):
    """The base of our tasks: a database that went away (a restart, a failover) fails the attempt,
    not the task. It is retried with a growing, jittered wait, up to DATABASE_MAX_RETRIES times.
    Arguments that are not what the task's payload models describe fail it at once (InvalidTaskArguments).

    That budget is the database's own: those retries are counted in a header and do not use up the
    retries a task allows itself for its own reasons (max_retries, say for an SMTP server that is
    down), and those do not use up the database's.
    """

    autoretry_for = DATABASE_ERRORS

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # A ValidationError is Celery's pydantic=True refusing an argument before the body runs (no body
        # of ours validates anything itself).
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as error:
            raise invalid_arguments(error) from None

    def retry(
        self,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        exc: Exception | None = None,
        throw: bool = True,
        eta: datetime | None = None,
        countdown: float | None = None,
        max_retries: int | None = None,
        **options: Any,
    ) -> Retry:
        """Celery's retry (autoretry_for calls it too), each kind of retry counted against its own budget."""
        done = self.database_retries()
        if isinstance(exc, DATABASE_ERRORS):
            countdown = get_exponential_backoff_interval(
                DATABASE_RETRY_BACKOFF, done, DATABASE_RETRY_BACKOFF_MAX, full_jitter=True
            )
            # Celery stops once its count passes max_retries: here, once the database's budget is spent.
            max_retries = self.request.retries + (1 if done < DATABASE_MAX_RETRIES else 0)
            done += 1
        else:
            limit = self.max_retries if max_retries is None else max_retries
            max_retries = None if limit is None else limit + done
        # Our own headers go with the retry explicitly, not left to what Celery resends.
        options["headers"] = {
            **self.our_headers(),
            **(options.get("headers") or {}),
            DATABASE_RETRIES_HEADER: str(done),
        }
        return super().retry(args, kwargs, exc, throw, eta, countdown, max_retries, **options)

    def our_headers(self) -> dict[str, str]:
        """This message's headers named drillquiz_*: attributes of the request in a worker, its
        headers when the task runs eagerly (apply)."""
        found = {**(self.request.headers or {}), **vars(self.request)}
        return {name: str(value) for name, value in found.items() if name.startswith(HEADER_PREFIX)}

    def database_retries(self) -> int:
        return int(self.our_headers().get(DATABASE_RETRIES_HEADER, 0))


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
def close_old_database_connections(task: Task[Any, Any], **kwargs: Any) -> None:
    """Before each task, as Django before each request: a connection that failed, outlived
    CONN_MAX_AGE or was left in a transaction is closed, the rest are health-checked on first use.
    Celery's own close (settings.CELERY_DB_REUSE_MAX) comes only every 1,000 tasks."""
    if not task.request.is_eager:  # an eager task runs inside its caller's transaction
        close_old_connections()


@celeryd_init.connect
def keep_database_connections(**kwargs: Any) -> None:
    """A worker keeps its database connection between tasks (WORKER_DATABASE_CONN_MAX_AGE), before
    its pool starts; a pooled database (OPTIONS["pool"]) keeps CONN_MAX_AGE 0, as Django requires."""
    for alias in connections:
        if "pool" not in connections.settings[alias].get("OPTIONS", {}):
            connections.settings[alias]["CONN_MAX_AGE"] = settings.WORKER_DATABASE_CONN_MAX_AGE
