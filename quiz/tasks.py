from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from drillquiz.payloads import InvalidTaskArguments, UserId
from jobs.retry import retry_with_backoff
from jobs.services import enqueue
from notifications.email import MailServerUnavailable
from quiz import fitting, reminders, services
from quiz.payloads import ReminderPairs


@shared_task(soft_time_limit=120, time_limit=150)
def send_due_review_reminders() -> int:
    """Hourly: fan out one chunk task per CHUNK_SIZE users whose reminder hour it is now."""
    chunks = reminders.chunks(reminders.due_for_reminder(timezone.now()))
    for chunk in chunks:
        enqueue("quiz.tasks.send_review_reminder_chunk", chunk)
    return len(chunks)


@shared_task(bind=True, pydantic=True, max_retries=8, soft_time_limit=240, time_limit=300)
def send_review_reminder_chunk(self: Task[Any, Any], pairs: ReminderPairs) -> dict[str, int]:
    try:
        report = reminders.send_chunk(pairs.root)
    except MailServerUnavailable as error:
        raise retry_with_backoff(self, error, settings.EMAIL_RETRY_BASE_SECONDS) from None
    if report.held_elsewhere:
        # Another run holds some of these (a duplicate delivery, or a worker that died mid-send):
        # come back once its claim has either turned into "sent" or gone stale.
        raise self.retry(countdown=reminders.STALE_CLAIM.total_seconds())
    return vars(report)


def learner(user_id: UserId) -> User:
    """The user a task's argument names; InvalidTaskArguments if there is none (any more)."""
    user = User.objects.filter(pk=user_id.root).first()
    if user is None:
        raise InvalidTaskArguments(f"no user {user_id.root}")
    return user


@shared_task(pydantic=True, soft_time_limit=120, time_limit=150)
def reschedule_reviews(user_id: UserId) -> int:
    """After a change of desired retention: the learner's cards get the due dates it gives."""
    return services.reschedule_cards(learner(user_id))


@shared_task(soft_time_limit=300, time_limit=360)
def fit_all_learner_parameters() -> int:
    """Weekly: one fit task per learner who may have enough reviews and has no fit this week."""
    user_ids = fitting.learners_to_fit(timezone.now())
    for user_id in user_ids:
        enqueue("quiz.tasks.fit_learner_parameters", user_id)
    return len(user_ids)


# A fit of 10,000 reviews takes well under a second (BENCHMARKS.md); the limit is for a learner
# with far more, or a database that is slow to hand over their reviews.
@shared_task(pydantic=True, soft_time_limit=120, time_limit=150)
def fit_learner_parameters(user_id: UserId) -> bool:
    """Fit one learner's FSRS parameters to their reviews; False where they keep the defaults."""
    return fitting.fit_learner(learner(user_id)) is not None
