from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from jobs.retry import retry_with_backoff
from jobs.services import enqueue
from notifications.email import MailServerUnavailable
from quiz import reminders


@shared_task(soft_time_limit=120, time_limit=150)
def send_due_review_reminders() -> int:
    """Hourly: fan out one chunk task per CHUNK_SIZE users whose reminder hour it is now."""
    chunks = reminders.chunks(reminders.due_for_reminder(timezone.now()))
    for chunk in chunks:
        enqueue(send_review_reminder_chunk, chunk)
    return len(chunks)


@shared_task(bind=True, max_retries=8, soft_time_limit=240, time_limit=300)
def send_review_reminder_chunk(self: Task, pairs: list) -> dict:
    parsed = reminders.parse_pairs(pairs)
    try:
        report = reminders.send_chunk(parsed)
    except MailServerUnavailable as error:
        raise retry_with_backoff(self, error, settings.EMAIL_RETRY_BASE_SECONDS) from None
    if report.held_elsewhere:
        # Another run holds some of these (a duplicate delivery, or a worker that died mid-send):
        # come back once its claim has either turned into "sent" or gone stale.
        raise self.retry(countdown=reminders.STALE_CLAIM.total_seconds())
    return vars(report)
