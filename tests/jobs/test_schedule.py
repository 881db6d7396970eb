"""The default periodic tasks are installed once and never overwrite what an admin changed."""

from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from jobs.schedule import DEFAULT_SCHEDULE


def test_setup_installs_the_hourly_reminders_once_and_keeps_admin_changes(db: None) -> None:
    call_command("setup_periodic_tasks")
    reminders = PeriodicTask.objects.get(task="quiz.tasks.send_due_review_reminders")
    assert (reminders.crontab.minute, reminders.crontab.hour, str(reminders.crontab.timezone)) == (
        "0",
        "*",
        "Asia/Seoul",
    )
    reminders.enabled = False
    reminders.crontab.minute = "15"
    reminders.crontab.save()
    reminders.save()

    call_command("setup_periodic_tasks")

    reminders.refresh_from_db()
    assert PeriodicTask.objects.filter(name__in=[entry.name for entry in DEFAULT_SCHEDULE]).count() == len(
        DEFAULT_SCHEDULE
    )
    assert reminders.enabled is False
    assert reminders.crontab.minute == "15"
