"""The default periodic tasks, installed into django-celery-beat so admins can edit them in Admin."""

from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    minute: str = "0"
    hour: str = "*"
    day_of_week: str = "*"
    description: str = ""


TIME_ZONE = "Asia/Seoul"
DEFAULT_SCHEDULE = [
    Entry(
        name="Review reminders (hourly)",
        task="quiz.tasks.send_due_review_reminders",
        description="Every hour, email the learners whose chosen local hour it is and who have reviews due.",
    ),
    Entry(
        name="Outbox relay (every minute)",
        task="jobs.tasks.relay_outbox",
        minute="*",
        description="Publish the jobs the broker could not take when they were recorded (an outage).",
    ),
    Entry(
        name="Database backup (daily)",
        task="backup.tasks.backup_database",
        hour="3",
        description="Every day at 03:00 Asia/Seoul: dump, verify and record the database; Slack says how it went.",
    ),
    Entry(
        name="Prune backups (daily)",
        task="backup.tasks.prune_backups",
        minute="0",
        hour="4",
        description="Keep BACKUP_KEEP_DAILY daily and BACKUP_KEEP_WEEKLY weekly backups; report strays.",
    ),
    Entry(
        name="Restore drill (weekly)",
        task="backup.tasks.restore_drill",
        hour="5",
        day_of_week="0",
        description="Sundays at 05:00: restore the newest backup into a scratch database and compare row counts.",
    ),
    Entry(
        name="Fit learners' FSRS parameters (weekly)",
        task="quiz.tasks.fit_all_learner_parameters",
        hour="2",
        day_of_week="1",
        description="Mondays at 02:00 Asia/Seoul: fit each learner's FSRS parameters to their reviews up to this week.",
    ),
    Entry(
        name="Clean up old task results (daily)",
        task="celery.backend_cleanup",
        minute="30",
        hour="4",
        description="Delete task results older than CELERY_RESULT_EXPIRES.",
    ),
]


@transaction.atomic
def install_default_schedule() -> list[str]:
    """Create the default periodic tasks that do not exist yet; leave existing ones as admins edited them.

    Returns the names of the tasks created.
    """
    created = []
    for entry in DEFAULT_SCHEDULE:
        if PeriodicTask.objects.filter(name=entry.name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=entry.minute,
            hour=entry.hour,
            day_of_week=entry.day_of_week,
            day_of_month="*",
            month_of_year="*",
            timezone=TIME_ZONE,
        )
        PeriodicTask.objects.create(name=entry.name, task=entry.task, crontab=crontab, description=entry.description)
        created.append(entry.name)
    return created
