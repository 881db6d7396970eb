"""Admin's re-run of a stored task result is a job like any other: an outbox row, by task name."""

from django.test import Client
from django_celery_results.models import TaskResult

from jobs.models import OutboxMessage
from tests.factories import make_user


def rerun(client: Client, result: TaskResult) -> str:
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/django_celery_results/taskresult/", {"action": "rerun", "_selected_action": [result.pk]}, follow=True
    )
    return response.content.decode()


def test_a_rerun_goes_through_the_outbox_with_the_same_arguments(client: Client, db: None) -> None:
    result = TaskResult.objects.create(
        task_id="t-1", task_name="accounts.tasks.send_welcome_email", task_args='"(7,)"', status="FAILURE"
    )

    page = rerun(client, result)

    message = OutboxMessage.objects.get()
    assert (message.task_name, message.args) == ("accounts.tasks.send_welcome_email", [7])
    assert f"re-run as {message.task_id}" in page


def test_a_result_of_a_task_no_queue_takes_is_not_rerun(client: Client, db: None) -> None:
    result = TaskResult.objects.create(
        task_id="t-2", task_name="accounts.tasks.gone", task_args='"()"', status="FAILURE"
    )

    page = rerun(client, result)

    assert "not re-run" in page
    assert not OutboxMessage.objects.exists()


def test_a_result_with_keyword_arguments_is_not_rerun(client: Client, db: None) -> None:
    result = TaskResult.objects.create(
        task_id="t-3", task_name="jobs.tasks.ping", task_args='"()"', task_kwargs="\"{'note': 'x'}\"", status="FAILURE"
    )

    page = rerun(client, result)

    assert "takes no keyword arguments; not re-run" in page
    assert not OutboxMessage.objects.exists()
