"""A lost database and a task's own trouble (an SMTP server down) each have their own retry budget."""

from smtplib import SMTPServerDisconnected

import pytest
from celery import Task, shared_task
from django.db import OperationalError

from drillquiz import celery
from drillquiz.celery import DATABASE_MAX_RETRIES, DATABASE_RETRIES_HEADER


def database_retries(task: Task[..., object]) -> int:
    return int(getattr(task.request, DATABASE_RETRIES_HEADER, None) or 0)


@shared_task(bind=True, max_retries=1)
def trouble(self: Task[..., object], database_failures: int, own_failures: int) -> dict[str, int]:
    """Fails with a lost database database_failures times, then on its own own_failures times."""
    if database_retries(self) < database_failures:
        raise OperationalError("server closed the connection unexpectedly")
    if self.request.retries - database_retries(self) < own_failures:
        raise self.retry(exc=SMTPServerDisconnected("mail server down"), countdown=0)
    return {"retries": self.request.retries, "database_retries": database_retries(self)}


@pytest.fixture
def no_database_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(celery, "DATABASE_RETRY_BACKOFF_MAX", 0)  # the waits are not under test here


def test_database_retries_do_not_use_up_the_tasks_own_retries(celery_worker: object, no_database_wait: None) -> None:
    result = trouble.apply_async((3, 1), queue="default")

    assert result.get(timeout=30) == {"retries": 4, "database_retries": 3}


def test_a_task_that_spent_its_own_retries_still_waits_out_the_database(
    celery_worker: object, no_database_wait: None
) -> None:
    result = trouble.apply_async((DATABASE_MAX_RETRIES, 1), queue="default")

    assert result.get(timeout=60) == {"retries": DATABASE_MAX_RETRIES + 1, "database_retries": DATABASE_MAX_RETRIES}


def test_past_its_budget_a_lost_database_fails_the_task(celery_worker: object, no_database_wait: None) -> None:
    result = trouble.apply_async((DATABASE_MAX_RETRIES + 1, 0), queue="default")

    result.get(timeout=60, propagate=False)
    assert result.state == "FAILURE"
    assert "server closed the connection" in str(result.result)
