"""PostgreSQL restarts or goes away for a while: pages and tasks recover without restarting any
process, and a task that failed on the lost connection is retried and done once.

The server that goes away is a private one (tests/faults/conftest.py), never the machine's shared
PostgreSQL, which other test runs use at the same time."""

import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from celery.signals import task_retry
from django.db import connections

from accounts.models import User
from accounts.tasks import send_welcome_email
from drillquiz.celery import DATABASE_MAX_RETRIES, app
from tests.conftest import MailServer
from tests.factories import make_user
from tests.faults.conftest import PrivatePostgres, PrivateRedis, drop_connections
from tests.processes import WebServer, free_port, wait_until, worker_process

pytestmark = pytest.mark.django_db(transaction=True)


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local server
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def test_pages_and_tasks_recover_from_a_postgresql_restart_and_a_failed_task_retries(
    private_redis: PrivateRedis,
    mail_server: MailServer,
    private_postgres: PrivatePostgres,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    learner = make_user("learner", email="learner@example.com")
    web = WebServer(tmp_path / "web.log", **private_redis.env())
    web.start()
    env = private_redis.env(EMAIL_URL=f"smtp://127.0.0.1:{mail_server.port}")
    try:
        with worker_process(env, tmp_path / "worker.log", "steady@faults", pool="prefork"):
            assert status(f"{web.url}/readyz") == 200

            private_postgres.stop()
            assert status(f"{web.url}/readyz") == 503
            # Sent straight to the broker (the outbox needs the database): the worker finds no
            # database, and retries until there is one again.
            app.send_task("accounts.tasks.send_welcome_email", args=[learner.pk])
            failed = "Failed operation _store_result. Retrying"
            wait_until(
                lambda: failed in (tmp_path / "worker.log").read_text(), 30, "the task to meet the dead database"
            )
            private_postgres.start()
            restarted = time.monotonic()

            wait_until(lambda: status(f"{web.url}/readyz") == 200, 30, "the web process to be ready again")
            assert status(f"{web.url}/") == 200
            wait_until(lambda: len(mail_server.inbox.messages) == 1, 60, "the retried welcome email")
            recovered_in = time.monotonic() - restarted
            record_property("retried_task_done_seconds", round(recovered_in, 1))  # RELIABILITY.md quotes it
            # No copy of the task left anywhere (queued or unacknowledged), so no duplicate can come.
            wait_until(private_redis.idle, 30, "the worker to acknowledge the task")
    finally:
        web.stop()
    assert [message["To"] for message in mail_server.inbox.messages] == ["learner@example.com"]
    assert User.objects.get(pk=learner.pk).welcome_email_sent
    assert recovered_in < 60


def test_a_task_that_loses_the_database_mid_body_is_retried_with_back_off() -> None:
    learner = make_user("learner", email="learner@example.com")
    retries: list[str] = []

    def count(request: object, reason: BaseException, **kwargs: object) -> None:
        retries.append(type(getattr(reason, "exc", reason)).__name__)  # the Retry carries the cause

    task_retry.connect(count, weak=False)
    database = connections["default"]
    port = database.settings_dict["PORT"]
    drop_connections()
    database.settings_dict["PORT"] = free_port()  # nothing listens there: the connection is refused
    try:
        # Run eagerly, the retries follow at once instead of after their waits.
        result = send_welcome_email.apply(args=(learner.pk,))
    finally:
        drop_connections()
        database.settings_dict["PORT"] = port
        task_retry.disconnect(count)

    # The database's own budget, not the task's max_retries (5, for the mail server).
    assert retries == ["OperationalError"] * DATABASE_MAX_RETRIES
    assert result.state == "FAILURE"  # only once every retry met the dead database
