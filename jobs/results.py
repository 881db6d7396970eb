"""Task results in the database (django-celery-results), stored in one statement, surviving a database restart."""

from typing import Any

from django.db import InterfaceError, OperationalError, connection
from django_celery_results.backends.database import DatabaseBackend

from jobs.models import StoredTaskResult


class RetryingDatabaseBackend(DatabaseBackend):
    """django-celery-results' backend, which also waits out a database that is restarting.

    Its own retry covers only InterfaceError; psycopg 3 reports a dropped or refused connection as
    OperationalError, and a result that cannot be stored would fail the task outside its body,
    before the task's own retries could help.

    Each store (STARTED before the body, then SUCCESS or FAILURE) is one INSERT ... ON CONFLICT.
    """

    TaskModel = StoredTaskResult

    def exception_safe_to_retry(self, exc: Any) -> bool:
        if isinstance(exc, InterfaceError | OperationalError):
            connection.close()  # the next try opens a fresh connection
            return True
        return False
