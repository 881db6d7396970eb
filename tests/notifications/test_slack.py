"""Slack alerts: coloured messages, a short timeout, Retry-After on 429, back-off on 5xx, no retry on 4xx."""

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from django_celery_results.models import TaskResult
from pytest_django import Settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from notifications import services, slack
from notifications.models import Level, Notification
from notifications.tasks import send_slack_alert
from tests.factories import make_user
from tests.processes import wait_until


def received(server: HTTPServer) -> list[dict[str, Any]]:
    return [json.loads(request.data) for request, _response in server.log]


def test_a_message_has_the_level_colour_title_fields_and_link() -> None:
    payload = slack.message(Level.WARNING, "Disk filling", "90% used", {"host": "db-1"}, "https://example.com/x")

    attachment = payload["attachments"][0]
    assert payload["text"] == "[warning] Disk filling"
    assert attachment["color"] == "#ecb22e"
    assert attachment["title_link"] == "https://example.com/x"
    assert attachment["fields"] == [{"title": "host", "value": "db-1", "short": True}]
    assert {slack.message(level, "t")["attachments"][0]["color"] for level in Level} == set(slack.COLOURS.values())


def test_the_task_posts_the_payload_to_the_webhook(slack_webhook: HTTPServer) -> None:
    slack_webhook.expect_request("/hook", method="POST").respond_with_data("ok")
    payload = slack_payload()

    assert send_slack_alert.apply(args=(dict(payload),)).get() == "sent"  # a plain dict, as the worker decodes it
    assert received(slack_webhook) == [payload]


def slack_payload() -> slack.Message:
    return slack.message(Level.SUCCESS, "Backup done", fields={"size": "12 MB"})


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"), [(429, {"Retry-After": "7"}, 7), (429, {}, None), (503, {}, None)]
)
def test_a_passing_failure_asks_for_a_retry(
    slack_webhook: HTTPServer, status: int, headers: dict[str, str], retry_after: int | None
) -> None:
    slack_webhook.expect_request("/hook").respond_with_data("busy", status=status, headers=headers)

    with pytest.raises(slack.SlackRetryLater) as raised:
        slack.post(slack_webhook.url_for("/hook"), slack_payload())

    assert raised.value.after == retry_after


def test_a_refused_message_is_not_retried(slack_webhook: HTTPServer) -> None:
    slack_webhook.expect_request("/hook").respond_with_data("invalid_payload", status=400)

    with pytest.raises(slack.SlackRejected, match="400"):
        slack.post(slack_webhook.url_for("/hook"), slack_payload())


def test_a_slow_slack_is_given_up_after_the_timeout(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(slack.TIMEOUT_SECONDS + 1)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()

    with pytest.raises(slack.SlackRetryLater, match="ReadTimeout"):
        slack.post(httpserver.url_for("/slow"), slack_payload())

    assert time.monotonic() - started < slack.TIMEOUT_SECONDS + 1
    wait_until(lambda: len(httpserver.log) == 1, 5, "the slow handler to finish, so it logs in this test")


def test_a_closed_port_is_a_passing_failure_and_hides_the_url() -> None:
    with pytest.raises(slack.SlackRetryLater) as raised:
        slack.post("http://127.0.0.1:1/services/T000/B000/secret-token", slack_payload())

    assert "secret-token" not in str(raised.value)


def test_without_a_webhook_an_alert_is_one_log_line(
    settings: Settings, caplog: pytest.LogCaptureFixture, db: None
) -> None:
    settings.SLACK_WEBHOOK_URL = ""

    with caplog.at_level(logging.INFO):
        services.alert_slack(Level.INFO, "Nothing configured")

    assert [record.getMessage() for record in caplog.records] == [
        "Slack alert not sent (no SLACK_WEBHOOK_URL): [info] Nothing configured"
    ]


def test_an_alert_never_raises_into_the_caller_when_the_broker_is_down(
    slack_webhook: HTTPServer, broker_down: None, caplog: pytest.LogCaptureFixture, transactional_db: None
) -> None:
    services.alert_slack(Level.ERROR, "Broker is down too")

    assert "1 job(s) not published yet" in caplog.text
    assert received(slack_webhook) == []


def test_the_worker_honours_retry_after_then_delivers(slack_webhook: HTTPServer, celery_worker: object) -> None:
    arrivals = []

    def answer(status: int, headers: dict[str, str]) -> Callable[[Request], Response]:
        def respond(request: Request) -> Response:
            arrivals.append(time.monotonic())
            return Response("", status=status, headers=headers)

        return respond

    slack_webhook.expect_ordered_request("/hook").respond_with_handler(answer(429, {"Retry-After": "2"}))
    slack_webhook.expect_ordered_request("/hook").respond_with_handler(answer(200, {}))

    services.alert_slack(Level.INFO, "Deploy finished")

    wait_until(lambda: len(slack_webhook.log) == 2, 20, "two deliveries")
    assert arrivals[1] - arrivals[0] >= 1.9
    assert received(slack_webhook)[0] == received(slack_webhook)[1]
    assert TaskResult.objects.filter(task_name="notifications.tasks.send_slack_alert", status="SUCCESS").exists()
    assert not Notification.objects.exists()


def test_the_worker_gives_up_after_five_tries_and_does_not_alert_slack_about_slack(
    slack_webhook: HTTPServer, celery_worker: object
) -> None:
    make_user("admin", is_staff=True)
    slack_webhook.expect_request("/hook").respond_with_data("down", status=503)

    services.alert_slack(Level.INFO, "Deploy finished")

    # The failure signal writes the notification after the result row: wait for what is read.
    wait_until(Notification.objects.exists, 30, "the staff notification of the failure")
    assert len(slack_webhook.log) == 5
    notification = Notification.objects.get()
    assert notification.title == "Task failed: notifications.tasks.send_slack_alert"
    result = TaskResult.objects.get(task_name="notifications.tasks.send_slack_alert")
    assert result.status == "FAILURE"
    assert slack_webhook.url_for("/hook") not in f"{result.task_args} {result.task_kwargs} {result.result}"


def test_the_worker_does_not_retry_a_refused_message(slack_webhook: HTTPServer, celery_worker: object) -> None:
    slack_webhook.expect_request("/hook").respond_with_data("invalid_payload", status=400)

    services.alert_slack(Level.INFO, "Deploy finished")

    # FAILURE is the final state: a task that would be retried shows RETRY until its last try.
    wait_until(lambda: TaskResult.objects.filter(status="FAILURE").exists(), 20, "the task to fail")
    assert len(slack_webhook.log) == 1
