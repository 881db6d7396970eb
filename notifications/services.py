"""The one door to the outside world: Slack alerts, email and in-app notifications.

Other apps call these functions; this app knows nothing of quizzes or backups.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from drillquiz.once import first_time_within
from jobs.services import enqueue
from notifications import slack, stream
from notifications.models import Level, Notification

logger = logging.getLogger(__name__)

# Longer than any task's retries take, so a task id is reported once however its failure arrives.
REPORT_ONCE_SECONDS = 24 * 3600


class FailureReported(Exception):
    """A task failed for good and has already told Slack and staff itself (with more to say than
    the generic dead-letter message): the dead-letter hook records it and sends nothing more."""


def alert_slack(level: str, title: str, text: str = "", fields: dict[str, str] | None = None, link: str = "") -> None:
    """Send a Slack alert in the background after commit; never raises, never waits for Slack."""
    if not settings.SLACK_WEBHOOK_URL:
        logger.info("Slack alert not sent (no SLACK_WEBHOOK_URL): [%s] %s", level, title)
        return
    enqueue("notifications.tasks.send_slack_alert", slack.message(level, title, text, fields, link))


def notify_users(user_ids: Iterable[int], level: str, title: str, body: str = "", link: str = "") -> list[Notification]:
    """Create the same in-app notification for each user (one query) and push it to their open pages."""
    return notify(
        [Notification(user_id=user_id, level=level, title=title, body=body, link=link) for user_id in user_ids]
    )


def notify(notifications: list[Notification]) -> list[Notification]:
    """Create in-app notifications in one query; once committed, push them to the users' open pages."""
    created = Notification.objects.bulk_create(notifications)
    transaction.on_commit(lambda: stream.publish(created), robust=True)
    return created


def unread(user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user_id, read=False)


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; returns how many changed."""
    mine = unread(user_id)
    if notification_id is not None:
        mine = mine.filter(pk=notification_id)
    return mine.update(read=True)


def notify_staff(level: str, title: str, body: str = "", link: str = "") -> list[Notification]:
    """Notify every active staff member in the app."""
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).values_list("pk", flat=True)
    return notify_users(staff, level, title, body, link)


def report_failed_task(task_name: str, task_id: str, error: str, to_slack: bool = True) -> None:
    """The dead-letter path: a task failed for good. Tell staff in the app, and Slack unless not
    to_slack, once per task id.

    Once, because a failure can be announced twice: Celery 5.7 sends task_failure for a hard time
    limit from Request.on_timeout and again when the pool reports the killed job.
    """
    if not first_time_within(f"dead-letter:{task_id}", REPORT_ONCE_SECONDS):
        return
    title = f"Task failed: {task_name}"
    link = f"/admin/django_celery_results/taskresult/?task_id={task_id}"
    logger.error("task %s %s failed for good: %s", task_name, task_id, error)
    notify_staff(Level.ERROR, title, body=error, link=link)
    if to_slack:
        alert_slack(Level.ERROR, title, fields={"task": task_name, "task id": task_id, "error": error})
