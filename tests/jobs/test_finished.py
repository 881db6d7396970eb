"""A job a user started tells them when it finished; any other task's success tells nobody."""

from django_celery_results.models import TaskResult

from jobs.models import OutboxMessage
from jobs.services import TRACKED_JOB_HEADER, enqueue, start_job
from notifications.models import Notification
from tests.factories import make_user
from tests.processes import wait_until


def test_a_started_job_is_marked_in_its_message_and_its_owner_told_when_it_finished(celery_worker: object) -> None:
    owner = make_user("owner")

    job = start_job(owner, "jobs.tasks.ping", "hello")

    assert OutboxMessage.objects.get(task_id=str(job.task_id)).headers == {TRACKED_JOB_HEADER: "1"}
    wait_until(lambda: Notification.objects.filter(user=owner).exists(), 20, "the owner's notification")
    notification = Notification.objects.get(user=owner)
    assert notification.title == "Job finished: jobs.tasks.ping"
    assert notification.link == f"/jobs/{job.task_id}/"


def test_a_task_enqueued_without_a_job_tells_nobody(celery_worker: object) -> None:
    owner = make_user("owner")

    enqueue("jobs.tasks.ping", "plain")
    # The one worker runs jobs in order: once the job after it has told its owner, the plain ping is long done.
    job = start_job(owner, "jobs.tasks.ping", "tracked")

    wait_until(lambda: Notification.objects.exists(), 20, "the tracked job's notification")
    assert TaskResult.objects.filter(task_name="jobs.tasks.ping", status="SUCCESS").count() == 2
    assert list(Notification.objects.values_list("link", flat=True)) == [f"/jobs/{job.task_id}/"]
