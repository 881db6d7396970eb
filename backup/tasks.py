import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from backup import services
from backup.errors import BackupFailed, BackupRefused
from backup.models import Backup
from backup.payloads import BackupTrigger
from notifications.services import FailureReported

logger = logging.getLogger(__name__)

# Our own limit (BACKUP_TIME_LIMIT_SECONDS) kills the tools first; Celery's is the last resort.
CELERY_SOFT_LIMIT = settings.BACKUP_TIME_LIMIT_SECONDS * 2 + 60
CELERY_HARD_LIMIT = CELERY_SOFT_LIMIT + 30


@shared_task(bind=True, pydantic=True, soft_time_limit=CELERY_SOFT_LIMIT, time_limit=CELERY_HARD_LIMIT)
def backup_database(self: Task[Any, Any], trigger: BackupTrigger | None = None) -> dict[str, object]:
    """Back up the database (dump, verify, record, report); retried BACKUP_MAX_RETRIES times,
    BACKUP_RETRY_DELAY_SECONDS apart, with one Slack message at the end either way. No trigger: the schedule's."""
    try:
        with services.running_here():
            return attempt(self, trigger.root if trigger else Backup.Trigger.SCHEDULE)
    except BackupRefused as refused:
        logger.info("backup not started: %s", refused)
        return {"status": "refused", "reason": str(refused)}


def attempt(task: Task[Any, Any], trigger: str) -> dict[str, object]:
    may_retry = task.request.retries < settings.BACKUP_MAX_RETRIES
    try:
        backup = services.back_up(trigger, task.request.id or "", may_retry)
    except BackupFailed as failed:
        if failed.retrying:
            delay, retries = settings.BACKUP_RETRY_DELAY_SECONDS, settings.BACKUP_MAX_RETRIES
            raise task.retry(countdown=delay, max_retries=retries) from None
        raise FailureReported(failed.message) from None
    return {"status": "succeeded", "backup": backup.pk, "file": backup.file_name, "size": backup.size}


@shared_task(soft_time_limit=CELERY_SOFT_LIMIT, time_limit=CELERY_HARD_LIMIT)
def restore_drill() -> dict[str, Any]:
    """Weekly: restore the newest backup into a scratch database and compare row counts."""
    try:
        with services.running_here("drill"):
            return services.restore_drill()
    except BackupRefused as refused:
        logger.info("restore drill not started: %s", refused)
        return {"status": "refused", "reason": str(refused)}


@shared_task(soft_time_limit=120, time_limit=150)
def prune_backups() -> dict[str, list[str]]:
    """Daily: keep BACKUP_KEEP_DAILY daily and BACKUP_KEEP_WEEKLY weekly backups, delete the rest."""
    return services.prune()
