"""A task's result is one row, written in one statement each time its state changes."""

import uuid

import pytest
from celery import states
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_results.models import TaskResult

from drillquiz.celery import app


@pytest.mark.django_db
def test_a_finished_task_keeps_its_start_in_the_one_row_each_store_writes_in_one_statement() -> None:
    task_id = str(uuid.uuid4())

    with CaptureQueriesContext(connection) as started:
        app.backend.store_result(task_id, {"pid": 1}, states.STARTED)
    stored = TaskResult.objects.filter(task_id=task_id)
    # (django-celery-results' type stubs lack date_started)
    begun = stored.values_list("date_started", flat=True).get()
    with CaptureQueriesContext(connection) as finished:
        app.backend.store_result(task_id, "done", states.SUCCESS)

    assert list(stored.values_list("status", "result", "date_started")) == [(states.SUCCESS, '"done"', begun)]
    assert begun is not None and stored.get().date_done >= begun
    writes = [query["sql"] for query in started.captured_queries + finished.captured_queries]
    assert len(writes) == 2 and all(sql.startswith("INSERT") and "ON CONFLICT" in sql for sql in writes)
