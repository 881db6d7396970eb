"""Broker down at the moment a job is made: the page answers at once, the job waits in the outbox,
and runs once when the broker is back."""

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.test import Client
from django.utils import timezone

from jobs import outbox
from jobs.models import OutboxMessage
from tests.accounts.test_accounts import SIGNUP
from tests.conftest import MailServer
from tests.faults.conftest import PrivateRedis
from tests.processes import wait_until, worker_process

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_job_made_while_the_broker_is_down_waits_in_the_outbox_and_runs_once(
    client: Client,
    private_redis: PrivateRedis,
    mail_server: MailServer,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    private_redis.stop()

    started = time.monotonic()
    response = client.post("/accounts/signup/", SIGNUP)
    answered_in = time.monotonic() - started

    assert response.status_code == 302
    assert answered_in < 1.5, f"the signup page took {answered_in:.2f} s with the broker down"
    record_property("signup_answered_seconds", round(answered_in, 3))  # RELIABILITY.md quotes it
    waiting = OutboxMessage.objects.get()
    assert (waiting.task_name, waiting.sent, waiting.attempts) == ("accounts.tasks.send_welcome_email", None, 1)
    assert "Connection refused" in waiting.last_error
    assert outbox.backlog()["pending"] == 1

    private_redis.start()
    env = private_redis.env(EMAIL_URL=f"smtp://127.0.0.1:{mail_server.port}")
    with worker_process(env, tmp_path / "worker.log", "outbox@faults"):
        # The worker's catch-up at start publishes it.
        wait_until(lambda: len(mail_server.inbox.messages) == 1, 30, "the welcome email")
        assert outbox.relay(older_than=timedelta(0)) == 0  # the relay finds nothing left to send
        time.sleep(2)  # room for a duplicate, which must not come

    assert [message["To"] for message in mail_server.inbox.messages] == [SIGNUP["email"]]
    assert OutboxMessage.objects.get().sent is not None
    assert outbox.backlog() == {"pending": 0, "oldest_seconds": 0.0}


def test_a_job_of_a_rolled_back_request_is_never_recorded(client: Client, private_redis: PrivateRedis) -> None:
    response = client.post("/accounts/signup/", {**SIGNUP, "password2": "not the same"})

    assert response.status_code == 400
    assert not OutboxMessage.objects.exists()


def test_a_job_the_broker_took_but_no_worker_started_is_sent_again_once_its_queue_is_empty(
    client: Client, private_redis: PrivateRedis, mail_server: MailServer, tmp_path: Path
) -> None:
    """kombu's Redis transport takes a message off its list before the worker records it as
    unacknowledged: a worker killed in between loses it (the soak run saw it once)."""
    first, second = SIGNUP, {**SIGNUP, "username": "jiho", "email": "jiho@example.com"}
    assert client.post("/accounts/signup/", first).status_code == 302
    broker = redis.Redis.from_url(f"{private_redis.url}/0")
    assert broker.rpop("notifications") is not None  # taken by a worker that was then killed
    assert client.post("/accounts/signup/", second).status_code == 302
    assert OutboxMessage.objects.filter(sent__isnull=True).count() == 0  # the broker took both

    # The second job still waits in the queue, and the first might be behind it: nothing is resent.
    assert outbox.resend_lost(older_than=timedelta(0)) == 0

    env = private_redis.env(EMAIL_URL=f"smtp://127.0.0.1:{mail_server.port}")
    with worker_process(env, tmp_path / "worker.log", "heir@faults"):
        wait_until(lambda: len(mail_server.inbox.messages) == 1, 30, "the second welcome email")
        assert outbox.resend_lost(older_than=timedelta(0)) == 1  # its queue is empty now
        wait_until(lambda: len(mail_server.inbox.messages) == 2, 30, "the first welcome email")
        assert outbox.resend_lost(older_than=timedelta(0)) == 0  # it has started: never again
        time.sleep(2)  # room for a duplicate, which must not come

    assert sorted(message["To"] for message in mail_server.inbox.messages) == [second["email"], first["email"]]


def test_the_resend_skips_tasks_without_results_and_gives_up_after_max_sends(private_redis: PrivateRedis) -> None:
    sent = timezone.now() - timedelta(hours=1)
    for task_id, task_name, sends in (
        ("lost", "jobs.tasks.ping", 1),
        ("never-stores-a-result", "jobs.tasks.relay_outbox", 1),  # no result is not a sign of loss
        ("renamed-since", "jobs.tasks.no_such_task", 1),
        ("sent-enough", "jobs.tasks.ping", outbox.MAX_SENDS),
    ):
        OutboxMessage.objects.create(task_id=task_id, task_name=task_name, args=[], sent=sent, attempts=sends)

    assert outbox.resend_lost() == 1

    attempts = dict(OutboxMessage.objects.values_list("task_id", "attempts"))
    assert attempts == {"lost": 2, "never-stores-a-result": 1, "renamed-since": 1, "sent-enough": outbox.MAX_SENDS}


def test_the_pooled_broker_connection_fails_fast_while_redis_is_down_and_publishes_again_once_it_is_back(
    private_redis: PrivateRedis,
) -> None:
    """publish keeps its broker connection between jobs: with Redis gone the kept connection must
    not make a request wait, and once Redis is back the same pool must send again."""
    broker = redis.Redis.from_url(f"{private_redis.url}/0")
    before = outbox.record("jobs.tasks.ping", ["before"])  # published at once: no transaction is open
    assert broker.llen("default") == 1

    private_redis.stop()
    started = time.monotonic()
    during = outbox.record("jobs.tasks.ping", ["during"])
    refused_in = time.monotonic() - started

    assert refused_in < 1.0, f"a publish took {refused_in:.2f} s with the broker down"
    private_redis.start()  # its data lost: only what is sent from now on is queued
    after = outbox.record("jobs.tasks.ping", ["after"])

    sent = dict(OutboxMessage.objects.values_list("pk", "sent"))
    assert sent[before.pk] is not None and sent[after.pk] is not None
    assert sent[during.pk] is None  # left to the relay
    assert broker.llen("default") == 1
