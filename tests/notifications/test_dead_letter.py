"""A task that fails for good is kept in the results, told to Slack once and to staff in the app, and can be re-run."""

import json
import time
import uuid

import pytest
from celery.exceptions import TimeLimitExceeded
from celery.signals import task_failure
from django.test import Client
from django_celery_results.models import TaskResult
from pytest_django import Settings
from pytest_httpserver import HTTPServer

from accounts.models import User
from accounts.tasks import send_welcome_email
from drillquiz.celery import app
from jobs.models import OutboxMessage
from jobs.services import enqueue
from jobs.tasks import ping
from notifications.models import Notification
from tests.conftest import MailServer
from tests.factories import make_user
from tests.processes import wait_until

WELCOME = "accounts.tasks.send_welcome_email"


def failed(task_name: str) -> bool:
    return TaskResult.objects.filter(task_name=task_name, status="FAILURE").exists()


def alert_sent() -> bool:
    return TaskResult.objects.filter(task_name="notifications.tasks.send_slack_alert", status="SUCCESS").exists()


def slack_titles(server: HTTPServer) -> list[str]:
    return [json.loads(request.data)["attachments"][0]["title"] for request, _ in server.log]


def test_a_task_that_fails_after_its_last_retry_is_reported_once(
    smtp_server: MailServer, slack_webhook: HTTPServer, celery_worker: object
) -> None:
    slack_webhook.expect_request("/hook").respond_with_data("ok")
    admin = make_user("admin", is_staff=True)
    learner = make_user("learner", email="learner-secret@example.com")
    smtp_server.stop()

    enqueue(send_welcome_email.name, learner.pk)

    wait_until(lambda: failed(WELCOME), 30, "the welcome task to fail for good")
    wait_until(alert_sent, 10, "the Slack alert")
    assert OutboxMessage.objects.filter(task_name="notifications.tasks.send_slack_alert").count() == 1
    assert slack_titles(slack_webhook) == [f"Task failed: {WELCOME}"]
    assert "learner-secret" not in slack_webhook.log[0][0].get_data(as_text=True)
    notification = Notification.objects.get()
    assert (notification.user, notification.level, notification.title) == (admin, "error", f"Task failed: {WELCOME}")
    assert "MailServerUnavailable" in notification.body


def test_a_task_given_bad_arguments_fails_at_once_without_retrying(
    settings: Settings, smtp_server: MailServer, slack_webhook: HTTPServer, celery_worker: object
) -> None:
    settings.EMAIL_RETRY_BASE_SECONDS = 30  # a retry would show as a long wait
    slack_webhook.expect_request("/hook").respond_with_data("ok")
    started = time.monotonic()

    enqueue(send_welcome_email.name, 424242)

    wait_until(lambda: failed(WELCOME), 10, "the task to fail")
    assert time.monotonic() - started < 10
    result = TaskResult.objects.get(task_name=WELCOME)
    assert "no user 424242" in result.result
    wait_until(lambda: len(slack_webhook.log) == 1, 10, "the Slack alert")


def test_an_admin_reruns_a_failed_task_with_the_same_arguments(
    client: Client, smtp_server: MailServer, celery_worker: object
) -> None:
    admin = make_user("admin", is_staff=True, is_superuser=True)
    learner = make_user("learner")
    smtp_server.stop()
    enqueue(send_welcome_email.name, learner.pk)
    wait_until(lambda: failed(WELCOME), 30, "the welcome task to fail for good")
    smtp_server.start()
    result = TaskResult.objects.get(task_name=WELCOME)

    client.force_login(admin)
    response = client.post(
        "/admin/django_celery_results/taskresult/", {"action": "rerun", "_selected_action": [result.pk]}, follow=True
    )

    assert "re-run as" in response.content.decode()
    wait_until(lambda: len(smtp_server.inbox.messages) == 1, 20, "the re-run to send the email")
    assert smtp_server.inbox.messages[0]["To"] == learner.email
    assert User.objects.get(pk=learner.pk).welcome_email_sent is not None


def test_a_task_killed_at_its_hard_time_limit_is_reported_once(
    db: None, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SLACK_WEBHOOK_URL = "http://127.0.0.1:9/hook"  # recorded in the outbox, never sent here
    make_user("admin", is_staff=True)
    task, task_id = app.tasks[WELCOME], str(uuid.uuid4())

    # What Celery 5.7 does for a hard time limit: Request.on_timeout sends task_failure, then
    # Request.on_failure sends it again when the pool reports the killed job.
    for _ in range(2):
        task_failure.send(sender=task, task_id=task_id, exception=TimeLimitExceeded(45), args=[], kwargs={})

    assert Notification.objects.count() == 1
    assert list(OutboxMessage.objects.values_list("task_name", flat=True)) == ["notifications.tasks.send_slack_alert"]
    assert caplog.text.count("failed for good") == 1


def test_two_tasks_that_fail_are_each_reported(db: None) -> None:
    make_user("admin", is_staff=True)
    task = app.tasks[WELCOME]

    for task_id in (str(uuid.uuid4()), str(uuid.uuid4())):
        task_failure.send(sender=task, task_id=task_id, exception=TimeLimitExceeded(45), args=[], kwargs={})

    assert Notification.objects.count() == 2


@pytest.mark.parametrize("task_id", ["not-a-uuid", "", "x" * 300, "\x00"])
def test_a_task_id_that_is_not_a_uuid_finishes_without_an_error(
    db: None, task_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    result = ping.apply(args=("hello",), task_id=task_id)

    assert result.state == "SUCCESS"
    assert "Signal handler" not in caplog.text
    assert "ValidationError" not in caplog.text
