"""Jobs are enqueued by task name: a name no worker runs fails at once, before anything is written."""

import pytest
from django.db import transaction

from jobs.models import OutboxMessage, TrackedJob
from jobs.services import UnknownTask, enqueue, start_job
from tests.factories import make_user


def test_a_job_for_a_registered_and_routed_task_is_recorded(db: None) -> None:
    enqueue("accounts.tasks.send_welcome_email", 1)

    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [("accounts.tasks.send_welcome_email", [1])]


def test_a_misspelt_task_name_fails_at_once_and_writes_nothing(db: None) -> None:
    with pytest.raises(UnknownTask, match=r"accounts\.tasks\.send_welcom_email"):
        enqueue("accounts.tasks.send_welcom_email", 1)

    assert not OutboxMessage.objects.exists()


def test_a_registered_task_that_no_queue_is_routed_for_is_refused(db: None) -> None:
    with pytest.raises(UnknownTask, match=r"celery\.backend_cleanup"):
        enqueue("celery.backend_cleanup")

    assert not OutboxMessage.objects.exists()


def test_a_job_started_for_a_misspelt_task_leaves_no_tracked_job(db: None) -> None:
    user = make_user("learner")

    with pytest.raises(UnknownTask), transaction.atomic():
        start_job(user, "jobs.tasks.pong")

    assert not TrackedJob.objects.exists()
    assert not OutboxMessage.objects.exists()
